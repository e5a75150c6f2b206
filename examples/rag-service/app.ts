import { Hono } from "hono";
import { z } from "zod";
import { zValidator } from "@hono/zod-validator";
import { createCache, documentTag, RagCache } from "ragcache";
import { ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { corpus, pipeline, type PipelineLatency } from "./pipeline.ts";

const askBody = z.strictObject({
  query: z.string().min(1).max(2_000),
  k: z.number().int().min(1).max(10).default(2),
  model: z.string().default("sim-llm"),
});

/**
 * Two levels of caching: the middleware caches whole HTTP answers (a repeated request costs a
 * lookup), and RagCache caches each stage, so a request that differs only in its answer model still
 * reuses the expansion and the retrieval. Updating a document drops both levels for that document.
 */
export function createRagService(latency: PipelineLatency) {
  const cache = createCache({ layers: [memory({ max: 10_000 })], defaultTtl: "10m" });
  const rag = new RagCache({ cache, retrieval: { ttl: "1h" }, answer: { ttl: "10m" } });
  const llm = pipeline(latency);
  const app = new Hono();

  app.post("/ask", ragcache({ cache, namespace: "http", ttl: "5m" }), zValidator("json", askBody), async (c) => {
    const { query, k, model } = c.req.valid("json");
    const started = performance.now();
    const expanded = await rag.expand(query, (q) => llm.expand(q));
    const retrieved = await rag.retrieve(query, { k }, () => llm.retrieve(expanded.value, k));
    const ids = retrieved.value.map((doc) => doc.id);
    const answered = await rag.answer(query, ids, { model }, () => llm.answer(query, retrieved.value, model));
    c.header("X-Cache-Tags", ids.map(documentTag).join(","));
    return c.json({
      answer: answered.value,
      documents: ids,
      stages: { expansion: expanded.status, retrieval: retrieved.status, answer: answered.status },
      ms: Math.round(performance.now() - started),
    });
  });

  app.put("/documents/:id", zValidator("json", z.strictObject({ text: z.string().min(1) })), async (c) => {
    const id = c.req.param("id");
    corpus.set(id, { id, text: c.req.valid("json").text });
    await rag.invalidateDocuments([id]);
    return c.json({ updated: id });
  });

  app.get("/stats", (c) => c.json(cache.stats()));
  return { app, cache };
}
