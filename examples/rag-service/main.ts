/**
 * A RAG service in Hono with a simulated expander, retriever and LLM, cached by the ragcache
 * middleware (whole responses) and the RagCache facade (each stage).
 *
 *   EXPAND_MS=100 RETRIEVE_MS=200 ANSWER_MS=800 PORT=8788 bun run examples/rag-service/main.ts
 *
 *   curl -si localhost:8788/ask -H 'content-type: application/json' -d '{"query":"what is rag?"}'
 *     → X-Cache: MISS, about 1.1 s (every stage ran)
 *   the same again → X-Cache: HIT, X-Cache-Layer: memory, about 1 ms
 *   curl -si localhost:8788/ask -H 'content-type: application/json' -d '{"query":"what is rag?","model":"other"}'
 *     → X-Cache: MISS but stages expansion and retrieval are "hit": only the LLM ran
 *   curl -si -X PUT localhost:8788/documents/1 -H 'content-type: application/json' -d '{"text":"RAG, revised."}'
 *     → every cached response, retrieval and answer that used document 1 is gone
 */
import { createRagService } from "./app.ts";

const ms = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const { app, cache } = createRagService({
  expandMs: ms("EXPAND_MS", 100),
  retrieveMs: ms("RETRIEVE_MS", 200),
  answerMs: ms("ANSWER_MS", 800),
});
const server = Bun.serve({ port: ms("PORT", 8788), hostname: "127.0.0.1", fetch: app.fetch });
console.log(`rag-service on http://127.0.0.1:${server.port}`);

process.once("SIGINT", async () => {
  await server.stop();
  await cache.close();
  process.exit(0);
});
