import { afterEach, describe, expect, test } from "bun:test";
import { createCache, type CacheLayer, type CachePlugin, type CacheKey, type Verdict } from "ragcache";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { chaos } from "ragcache/testing";
import { warming } from "ragcache/warming";
import { createServerApp, type ServerAppOptions } from "../../../src/server/app.ts";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function setup(options: Partial<ServerAppOptions> = {}, layers: CacheLayer[] = [memory({ name: "l1" }), memory({ name: "l2" })]) {
  const cache = createCache({ layers, sampleEvery: 1, plugins: options.plugins as CachePlugin[] | undefined });
  const app = createServerApp({ cache, ...options });
  closers.push(
    () => app.close(),
    () => cache.close(),
  );
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return { cache, app, call };
}

describe("server routes", () => {
  test("PUT, GET and DELETE one entry by namespace and key", async () => {
    const { call } = setup();
    expect((await call("GET", "/v1/cache/answers/what%20is%20rag%3F")).status).toBe(404);
    const put = await call("PUT", "/v1/cache/answers/what%20is%20rag%3F", {
      value: { text: "retrieval" },
      ttl: "1h",
      tags: ["doc:1"],
    });
    expect(put.status).toBe(200);
    expect((await put.json()).id).toStartWith("answers:");
    const got = await call("GET", "/v1/cache/answers/What%20is%20RAG%3F");
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ value: { text: "retrieval" }, status: "hit", layer: "l1" });
    expect((await call("DELETE", "/v1/cache/answers/what%20is%20rag%3F")).status).toBe(204);
    expect((await call("GET", "/v1/cache/answers/what%20is%20rag%3F")).status).toBe(404);
  });

  test("params in the body and the query string take part in the key", async () => {
    const { call } = setup();
    await call("PUT", "/v1/cache/retrieval/q", { value: [1], params: { k: 5 } });
    expect((await call("GET", "/v1/cache/retrieval/q")).status).toBe(404);
    expect((await call("GET", `/v1/cache/retrieval/q?params=${encodeURIComponent('{"k":5}')}`)).status).toBe(200);
  });

  test("POST /v1/lookup answers hit or miss without loading", async () => {
    const { call, cache } = setup();
    await cache.set("what is rag?", "an answer", { namespace: "answer" });
    expect(await (await call("POST", "/v1/lookup", { query: "What is RAG?", namespace: "answer" })).json()).toMatchObject({
      hit: true,
      value: "an answer",
      layer: "l1",
    });
    expect(await (await call("POST", "/v1/lookup", { query: "something else", namespace: "answer" })).json()).toEqual({
      hit: false,
    });
  });

  test("POST /v1/feedback hands the verdict to each layer declaring judge; a wrong one deletes the query's entries", async () => {
    const verdicts: [string, string, Verdict][] = [];
    const judging: CacheLayer = {
      ...memory({ name: "judging" }),
      judge: async (key: CacheKey, matchedText: string, verdict: Verdict) => void verdicts.push([key.id, matchedText, verdict]),
    };
    const { call, cache } = setup({}, [memory({ name: "l1" }), judging]);
    await cache.set("what is rag?", "an answer", { namespace: "answer" });
    const body = { query: "What is RAG?", namespace: "answer", matchedText: "what's rag" };
    const right = await call("POST", "/v1/feedback", { ...body, verdict: "right" });
    expect([right.status, await right.json()]).toEqual([200, { recorded: "right", layers: ["judging"] }]);
    expect(await cache.get("what is rag?", { namespace: "answer" })).toBe("an answer");
    expect((await call("POST", "/v1/feedback", { ...body, verdict: "wrong" })).status).toBe(200);
    const id = cache.key("what is rag?", { namespace: "answer" }).id;
    expect(verdicts).toEqual([
      [id, "what's rag", "right"],
      [id, "what's rag", "wrong"],
    ]);
    expect(cache.layers.map((layer) => layer.get(cache.key("what is rag?", { namespace: "answer" })))).toEqual([
      undefined,
      undefined,
    ]);
  });

  test("POST /v1/invalidate removes keys, tags and documents in every layer", async () => {
    const l1 = memory({ name: "l1" });
    const l2 = memory({ name: "l2" });
    const { call, cache } = setup({}, [l1, l2]);
    await cache.set("a", 1);
    await cache.set("b", 2, { tags: ["team:x"] });
    await cache.set("c", 3, { namespace: "answer", tags: ["doc:17"] });
    await cache.set("d", 4, { namespace: "answer", tags: ["doc:18"] });
    const response = await call("POST", "/v1/invalidate", { keys: [{ key: "a" }], tags: ["team:x"], documents: [17] });
    expect(await response.json()).toEqual({ deleted: 1, tags: ["team:x", "doc:17"] });
    expect([l1.size, l2.size]).toEqual([1, 1]);
    expect(await cache.get("d", { namespace: "answer" })).toBe(4);
  });

  test("bad input is a 400 that lists every reason", async () => {
    const { call, app } = setup();
    const cases: [string, string, unknown][] = [
      ["PUT", "/v1/cache/bad%20namespace/k", { value: 1 }],
      ["PUT", "/v1/cache/ns/k", { ttl: "soon" }],
      ["PUT", "/v1/cache/ns/k", { value: 1, extra: true }],
      ["POST", "/v1/lookup", { query: "" }],
      ["POST", "/v1/lookup", "{not json"],
      ["POST", "/v1/invalidate", {}],
      ["GET", "/v1/cache/ns/k?params=%5B1%5D", undefined],
    ];
    for (const [method, path, body] of cases) {
      const response = await call(method, path, body);
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 400`);
      expect((await response.json()).error).toBeString();
    }
    const untyped = await app.request("/v1/cache/ns/k", { method: "PUT", body: '{"value":1}' });
    expect(untyped.status).toBe(400);
    expect((await untyped.json()).error).toContain("Content-Type: application/json");
    const both = await (await call("PUT", "/v1/cache/ns/k", { ttl: "soon", tags: "x" })).json();
    expect(both.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.tags", "json.ttl", "json.value"]);
  });

  test("a value above the chain's maxValueBytes is a 413 with the reason, not a crash", async () => {
    const cache = createCache({ layers: [memory()], maxValueBytes: 100 });
    const app = createServerApp({ cache });
    closers.push(
      () => app.close(),
      () => cache.close(),
    );
    const response = await app.request("/v1/cache/ns/k", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: "x".repeat(200) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: "E_VALUE_TOO_LARGE" });
  });

  test("bodies over the limit are refused with 413", async () => {
    const { call } = setup({ maxBodyBytes: 64 });
    const response = await call("PUT", "/v1/cache/ns/k", { value: "x".repeat(100) });
    expect(response.status).toBe(413);
    expect((await response.json()).error).toContain("64 bytes");
  });

  test("with a token, every route but /health needs it: reads, lookups, stats, metrics and warming included", async () => {
    const plugins = [metrics()];
    const { call, cache } = setup({ token: "s3cret", plugins });
    await cache.ready;
    const bearer = { Authorization: "Bearer s3cret" };
    const routes: [string, string, unknown?][] = [
      ["PUT", "/v1/cache/ns/k", { value: 1 }],
      ["GET", "/v1/cache/ns/k"],
      ["POST", "/v1/lookup", { query: "k", namespace: "ns" }],
      ["POST", "/v1/invalidate", { tags: ["t"] }],
      ["GET", "/stats"],
      ["GET", "/metrics"],
      ["GET", "/v1/warm"],
      ["POST", "/v1/warm", {}],
      ["DELETE", "/v1/cache/ns/k"],
    ];
    for (const [method, path, body] of routes) {
      expect({ method, path, status: (await call(method, path, body)).status }).toEqual({ method, path, status: 401 });
      const wrong = await call(method, path, body, { Authorization: "Bearer wrong" });
      expect({ method, path, status: wrong.status }).toEqual({ method, path, status: 401 });
    }
    expect((await call("PUT", "/v1/cache/ns/k", { value: 1 }, bearer)).status).toBe(200);
    expect((await call("GET", "/v1/cache/ns/k", undefined, bearer)).status).toBe(200);
    expect((await call("POST", "/v1/lookup", { query: "k", namespace: "ns" }, bearer)).status).toBe(200);
    expect((await call("GET", "/stats", undefined, bearer)).status).toBe(200);
    expect((await call("GET", "/metrics", undefined, bearer)).status).toBe(200);
    expect((await call("GET", "/health")).status).toBe(200);
  });

  test("reads and /metrics open only when asked, writes and stats keep needing the token", async () => {
    const { call, cache } = setup({ token: "s3cret", publicReads: true, publicMetrics: true, plugins: [metrics()] });
    await cache.ready;
    await cache.set("k", 1, { namespace: "ns" });
    expect((await call("GET", "/v1/cache/ns/k")).status).toBe(200);
    expect((await call("POST", "/v1/lookup", { query: "k", namespace: "ns" })).status).toBe(200);
    expect((await call("GET", "/metrics")).status).toBe(200);
    expect((await call("GET", "/stats")).status).toBe(401);
    expect((await call("PUT", "/v1/cache/ns/k", { value: 2 })).status).toBe(401);
    expect((await call("POST", "/v1/invalidate", { tags: ["t"] })).status).toBe(401);
  });

  test("the dashboard page carries no token and no data: it asks for the token and sends it from script", async () => {
    const { call } = setup({ token: "s3cret" });
    const page = await call("GET", "/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain("s3cret");
    expect(html).toContain("Bearer");
  });

  test("with an allow list, a Host that is neither listed nor loopback gets 421 (DNS rebinding)", async () => {
    const { app } = setup({ allowedHosts: ["127.0.0.1", "cache.internal"] });
    const at = (host: string) => app.request(`http://${host}/health`);
    for (const host of ["127.0.0.1:8787", "localhost:8787", "[::1]:8787", "cache.internal", "CACHE.internal:80"])
      expect({ host, status: (await at(host)).status }).toEqual({ host, status: 200 });
    for (const host of ["evil.example", "127.0.0.1.evil.example:8787", "cache.internal.evil.example"]) {
      const response = await at(host);
      expect({ host, status: response.status }).toEqual({ host, status: 421 });
      expect((await response.json()).error).toContain("RAG_ALLOWED_HOSTS");
    }
  });

  test("GET /health reports each layer's state, and 503 when one is down", async () => {
    const broken = chaos(memory({ name: "remote" }));
    const { call } = setup({}, [memory({ name: "l1" }), broken]);
    expect(await (await call("GET", "/health")).json()).toEqual({
      state: "up",
      layers: [
        { name: "l1", state: "up" },
        { name: "remote", state: "up" },
      ],
    });
    broken.alwaysThrow(new Error("connection refused"));
    const down = await call("GET", "/health");
    expect(down.status).toBe(503);
    expect((await down.json()).layers[1]).toMatchObject({ name: "remote", state: "down" });
  });

  test("a failing layer is a miss on GET, never a 5xx", async () => {
    const broken = chaos(memory({ name: "remote" }));
    const { call } = setup({}, [broken]);
    broken.alwaysThrow(new Error("connection refused"));
    expect((await call("GET", "/v1/cache/ns/k")).status).toBe(404);
    expect((await call("PUT", "/v1/cache/ns/k", { value: 1 })).status).toBe(200);
  });

  test("GET /stats has per-layer hit rates and latencies", async () => {
    const { call, cache } = setup();
    await cache.set("k", 1);
    await cache.get("k");
    await cache.get("nope");
    const stats = await (await call("GET", "/stats")).json();
    expect(stats).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 });
    expect(stats.layers[0]).toMatchObject({ name: "l1", hits: 1, misses: 1, hitRate: 0.5 });
    expect(stats.layers[0].latencyMs.samples).toBe(1);
    expect(stats.missLatencyMs.samples).toBe(1);
  });

  test("without metrics or warming plugins, /metrics and /v1/warm say so with 501", async () => {
    const { call } = setup();
    const metrics = await call("GET", "/metrics");
    expect(metrics.status).toBe(501);
    expect((await metrics.json()).hint).toContain('"use": "metrics"');
    expect((await call("POST", "/v1/warm", {})).status).toBe(501);
    expect((await call("GET", "/v1/warm")).status).toBe(501);
  });

  test("POST /v1/warm runs the job the warming plugin declares, GET /v1/warm reports it, cancel stops it", async () => {
    const loaded: string[] = [];
    const plugin = warming({
      schedule: false,
      warmList: [
        { query: "what is rag?", namespace: "answer" },
        { query: "what is a vector?", namespace: "answer" },
      ],
      loaders: { answer: async (query) => (loaded.push(query), await Bun.sleep(20), `answer to ${query}`) },
    });
    const cache = createCache({ layers: [memory()], plugins: [plugin] });
    await cache.ready;
    const app = createServerApp({ cache, plugins: [plugin] });
    closers.push(
      () => app.close(),
      () => cache.close(),
    );
    const started = await app.request("/v1/warm", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(started.status).toBe(202);
    expect((await started.json()).running).toBe(true);
    for (let i = 0; i < 100 && plugin.status().running; i++) await Bun.sleep(10);
    const status = await (await app.request("/v1/warm")).json();
    expect(status).toMatchObject({ running: false, progress: { state: "finished", trigger: "api", done: 2, failed: 0 } });
    expect(loaded.sort()).toEqual(["what is a vector?", "what is rag?"]);
    expect(await cache.get("what is rag?", { namespace: "answer" })).toBe("answer to what is rag?");
    await app.request("/v1/warm", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const cancelled = await app.request("/v1/warm", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"cancel":true}',
    });
    expect(cancelled.status).toBe(200);
    for (let i = 0; i < 100 && plugin.status().running; i++) await Bun.sleep(10);
    expect(plugin.status().progress?.state).toBe("cancelled");
  });
});
