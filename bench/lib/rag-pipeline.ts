import type { RagCache } from "ragcache";
import { seeded, sleep } from "./measure.ts";
import { TOPICS, type StreamRequest } from "./query-stream.ts";

/** Simulated stage latencies in ms (before scaling). */
export interface StageLatencies {
  expansion: number;
  retrieval: number;
  llm: number;
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/**
 * The RAG benches' settings, from BENCH_RAG_* env vars, so that every RAG topic replays the same
 * stream at the same latencies. Stage latencies are multiplied by SCALE so a replay fits the bench
 * budget; reductions are ratios, so they keep.
 */
export function ragSettings() {
  const SCALE = env("BENCH_RAG_SCALE", 0.1);
  const FULL: StageLatencies = {
    expansion: env("BENCH_RAG_EXPANSION_MS", 30),
    retrieval: env("BENCH_RAG_RETRIEVAL_MS", 80),
    llm: env("BENCH_RAG_LLM_MS", 600),
  };
  const LATENCIES: StageLatencies = {
    expansion: FULL.expansion * SCALE,
    retrieval: FULL.retrieval * SCALE,
    llm: FULL.llm * SCALE,
  };
  const STREAM = {
    requests: env("BENCH_RAG_REQUESTS", 3000),
    paraphraseShare: env("BENCH_RAG_PARAPHRASES", 0.3),
    zipfS: 1.0,
    seed: 7,
  };
  return { SCALE, FULL, LATENCIES, STREAM, CONCURRENCY: env("BENCH_RAG_CONCURRENCY", 16) };
}

export interface Served {
  ms: number;
  /** Which layer answered the answer stage, "loader" when the LLM ran (or a concurrent caller's run was joined), "off" without cache. */
  source: string;
}

interface Document {
  id: string;
  text: string;
  score: number;
}

/**
 * The example RAG request: expand the question, retrieve documents, generate the answer, each a
 * simulated remote call of the given latency (±10 % jitter). With a RagCache each stage is cached in
 * its own namespace, and the answer is tagged with the documents it used.
 */
export function ragPipeline(
  rag: RagCache | undefined,
  latencies: StageLatencies,
  seed: number,
): (request: StreamRequest) => Promise<Served> {
  const random = seeded(seed);
  const work = <T>(ms: number, value: T) => sleep(ms * (0.9 + 0.2 * random())).then(() => value);
  return async (request) => {
    const started = performance.now();
    const topic = TOPICS[request.topic]!;
    const expand = () => work(latencies.expansion, [request.text, topic.canonical]);
    const retrieve = () =>
      work<Document[]>(
        latencies.retrieval,
        Array.from({ length: 5 }, (_, d) => ({
          id: `${topic.subject}-${d}`,
          text: `Passage ${d} about ${topic.canonical}`.padEnd(150, "."),
          score: 0.9 - d * 0.05,
        })),
      );
    const generate = (documents: Document[]) =>
      work(latencies.llm, {
        text: `An answer to "${topic.canonical}"`.padEnd(600, "."),
        sources: documents.map((doc) => doc.id),
      });
    if (!rag) {
      await expand();
      await generate(await retrieve());
      return { ms: performance.now() - started, source: "off" };
    }
    await rag.expand(request.text, expand);
    const documents = await rag.retrieve(request.text, { k: 5 }, retrieve);
    const answer = await rag.answer(
      request.text,
      documents.value.map((doc) => doc.id),
      { model: "simulated-llm" },
      () => generate(documents.value),
    );
    const source = answer.status === "miss" ? "loader" : (answer.layer ?? answer.status);
    return { ms: performance.now() - started, source };
  };
}
