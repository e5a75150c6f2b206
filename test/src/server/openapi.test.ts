// Pins src/server/api.ts and schemas.ts: the OpenAPI document and the responses the routes really send.
import { afterEach, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { createCache, type CachePlugin } from "ragcache";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { warming } from "ragcache/warming";
import { createServerApp } from "../../../src/server/app.ts";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
type Spec = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function setup(plugins: CachePlugin[], token?: string) {
  const cache = createCache({ layers: [memory({ name: "l1" })], plugins, sampleEvery: 1, log: false });
  await cache.ready;
  const app = createServerApp({ cache, plugins, token, maxBodyBytes: 4_096 });
  closers.push(
    () => app.close(),
    () => cache.close(),
  );
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const spec = (await (await app.request("/openapi.json", { headers })).json()) as Spec;
  return { app, spec, headers };
}

/** The operation of the spec a concrete path and method belong to. */
function operationOf(spec: Spec, method: string, path: string): Operation | undefined {
  for (const [template, methods] of Object.entries(spec.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (pattern.test(path)) return methods[method.toLowerCase()];
  }
  return undefined;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });

/** Checks one real response against the document: its status is listed, its body matches the schema. */
async function conforms(spec: Spec, method: string, path: string, response: Response): Promise<string[]> {
  const operation = operationOf(spec, method, path.split("?")[0]!);
  if (!operation) return [`${method} ${path} is not in the document`];
  const documented = operation.responses[String(response.status)];
  if (!documented) return [`${method} ${path} answered ${response.status}, not documented`];
  if (!documented.content) return (await response.text()) === "" ? [] : [`${method} ${path} ${response.status} has a body`];
  const type = (response.headers.get("content-type") ?? "").split(";")[0]!;
  const media = documented.content[type];
  if (!media) return [`${method} ${path} ${response.status} answered ${type}, documented ${Object.keys(documented.content)}`];
  const body = type === "application/json" ? await response.json() : await response.text();
  const validate = ajv.compile(media.schema);
  return validate(body) ? [] : [`${method} ${path} ${response.status}: ${ajv.errorsText(validate.errors)}`];
}

describe("OpenAPI", () => {
  test("GET /openapi.json documents every route, generated from the zod schemas", async () => {
    const { spec } = await setup([metrics()]);
    expect(spec.openapi).toBe("3.1.0");
    const operations = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(operations.sort()).toEqual(
      [
        "delete /v1/cache/{namespace}/{key}",
        "get /health",
        "get /metrics",
        "get /stats",
        "get /v1/corpus/version",
        "post /v1/corpus/version",
        "get /v1/cache/{namespace}/{key}",
        "get /v1/warm",
        "post /v1/feedback",
        "post /v1/invalidate",
        "post /v1/lookup",
        "post /v1/warm",
        "put /v1/cache/{namespace}/{key}",
      ].sort(),
    );
    const put = spec.paths["/v1/cache/{namespace}/{key}"]!.put as unknown as {
      requestBody: { content: Record<string, { schema: { required: string[] } }> };
    };
    expect(put.requestBody.content["application/json"]!.schema.required).toEqual(["value"]);
  });

  test("real responses, good and bad, match the document", async () => {
    const plugin = warming({ schedule: false, warmList: [{ query: "q" }], loaders: { default: () => "v" } });
    const { app, spec, headers } = await setup([metrics(), plugin], "s3cret");
    const calls: [string, string, unknown?, Record<string, string>?][] = [
      ["PUT", "/v1/cache/ns/what%20is%20rag", { value: { text: "an answer" }, ttl: "1h", tags: ["doc:1"] }],
      ["GET", "/v1/cache/ns/what%20is%20rag"],
      ["GET", "/v1/cache/ns/unknown"],
      ["GET", "/v1/cache/bad%20namespace/k"],
      ["GET", "/v1/cache/ns/k?params=%5B1%5D"],
      ["POST", "/v1/lookup", { query: "what is rag", namespace: "ns" }],
      ["POST", "/v1/lookup", { query: "never asked" }],
      ["POST", "/v1/lookup", { query: "" }],
      ["POST", "/v1/invalidate", { tags: ["doc:1"], documents: [7] }],
      ["POST", "/v1/invalidate", {}],
      ["PUT", "/v1/cache/ns/big", { value: "x".repeat(5_000) }],
      ["DELETE", "/v1/cache/ns/what%20is%20rag"],
      ["GET", "/stats"],
      ["GET", "/metrics"],
      ["GET", "/health"],
      ["POST", "/v1/warm", {}],
      ["GET", "/v1/warm"],
      ["POST", "/v1/warm", { cancel: true }],
      ["POST", "/v1/warm", { cancel: "yes" }],
      ["GET", "/stats", undefined, { authorization: "Bearer wrong" }],
      ["GET", "/metrics", undefined, { authorization: "Basic czNjcmV0" }],
    ];
    const statuses: number[] = [];
    for (const [method, path, body, extra] of calls) {
      const response = await app.request(path, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }), ...extra },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      statuses.push(response.status);
      expect(await conforms(spec, method, path, response)).toEqual([]);
    }
    expect(statuses).toEqual([
      200, 200, 404, 400, 400, 200, 200, 400, 200, 400, 413, 204, 200, 200, 200, 202, 200, 200, 400, 401, 400,
    ]);
  });

  test("without a metrics or warming plugin the 501 answers match the document too", async () => {
    const { app, spec } = await setup([]);
    for (const [method, path, body] of [
      ["GET", "/metrics"],
      ["GET", "/v1/warm"],
      ["POST", "/v1/warm", "{}"],
    ] as const) {
      const response = await app.request(path, { method, headers: body ? { "content-type": "application/json" } : {}, body });
      expect(response.status).toBe(501);
      expect(await conforms(spec, method, path, response)).toEqual([]);
    }
  });
});
