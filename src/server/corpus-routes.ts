import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { Cache } from "../chain/cache.ts";
import { CorpusVersion } from "../rag/corpus.ts";
import type { Guards } from "./access.ts";
import { errorBody, invalidRequest } from "./schemas.ts";

/** The stages `RagCache` keys by corpus version, with their default namespaces. */
const VERSIONED = ["retrieval", "answer"] as const;

const version = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a corpus version is 1-32 characters of A-Z, a-z, 0-9, "_", "." or "-"');
/** POST /v1/corpus/version: `{}` bumps to a new version, `{ "version": "v2", "cleanup": true }` to v2, deleting earlier ones. */
const bumpBody = z.strictObject({ version: version.optional(), cleanup: z.boolean().optional() });
const described = z.object({
  version: z.string(),
  namespaces: z.object({ retrieval: z.string(), answer: z.string() }),
});
const bumped = described.extend({ previous: z.array(z.string()), deleted: z.array(z.string()) });

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const invalid = json(
  errorBody,
  "Invalid input (every problem as `path: message`), or an Authorization header that is not Bearer.",
);
const unauthorized = json(errorBody, "The bearer token is missing or wrong (only when the server has one).");
const path = "/v1/corpus/version";

const readVersion = createRoute({
  method: "get",
  path,
  summary: "The corpus version retrievals and answers are keyed by, and the namespaces they live in",
  responses: { 200: json(described, 'The current version ("" before any).'), 400: invalid, 401: unauthorized },
});

const bumpVersion = createRoute({
  method: "post",
  path,
  summary: "Move every process of the chain to a new corpus version (after re-indexing)",
  request: { body: { content: { "application/json": { schema: bumpBody } }, required: true } },
  responses: {
    200: json(bumped, "The new version; with cleanup, the earlier versions whose entries were deleted."),
    400: invalid,
    401: unauthorized,
  },
});

/**
 * GET and POST /v1/corpus/version: the corpus version every process of the chain keys retrievals and
 * answers by (see `RagCache`'s corpus versions), read, and bumped after re-indexing.
 * @example
 * ```ts
 * app.route("/", corpusRoutes(cache, guardsOf({ token })));
 * ```
 */
export function corpusRoutes(cache: Cache, { read, admin }: Guards): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: invalidRequest });
  const corpus = new CorpusVersion(cache, {}, VERSIONED);
  const describe = (current: string) => ({
    version: current,
    namespaces: { retrieval: corpus.namespaceOf("retrieval", current), answer: corpus.namespaceOf("answer", current) },
  });

  app.openapi({ ...readVersion, middleware: [read] }, async (c) => c.json(describe(await corpus.current()), 200));

  app.openapi({ ...bumpVersion, middleware: [admin] }, async (c) => {
    const { version: next, cleanup } = c.req.valid("json");
    const record = await corpus.bump(next);
    const deleted = cleanup ? await corpus.cleanup() : [];
    return c.json({ ...describe(record.version), previous: cleanup ? [] : record.previous, deleted }, 200);
  });

  return app;
}
