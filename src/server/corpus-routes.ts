import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import type { Cache } from "../chain/cache.ts";
import { CorpusVersion } from "../rag/corpus.ts";
import { corpusBody, validate } from "./schemas.ts";

/** The stages `RagCache` keys by corpus version, with their default namespaces. */
const VERSIONED = ["retrieval", "answer"] as const;

/**
 * The corpus version every process of the chain keys retrievals and answers by: read it, bump it
 * after re-indexing (optionally deleting the earlier versions' entries).
 */
export function corpusRoutes(cache: Cache, guard: MiddlewareHandler): Hono {
  const app = new Hono();
  const corpus = new CorpusVersion(cache, {}, VERSIONED);
  const describe = (version: string) => ({
    version,
    namespaces: Object.fromEntries(VERSIONED.map((stage) => [stage, corpus.namespaceOf(stage, version)])),
  });

  app.get("/v1/corpus/version", async (c) => c.json(describe(await corpus.current())));

  app.post("/v1/corpus/version", guard, validate("json", corpusBody), async (c) => {
    const { version, cleanup } = c.req.valid("json");
    const record = await corpus.bump(version);
    const deleted = cleanup ? await corpus.cleanup() : [];
    return c.json({ ...describe(record.version), previous: cleanup ? [] : record.previous, deleted });
  });

  return app;
}
