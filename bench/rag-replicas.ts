import { createCache, RagCache, type Cache } from "ragcache";
import { chroma, localEmbedder, setEmbeddingMemoLimit, type Embedder } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startChroma } from "../test/support/chroma-server.ts";
import { formatMs, percentile, pool } from "./lib/measure.ts";
import { queryStream } from "./lib/query-stream.ts";
import { ragPipeline, ragSettings, type Served } from "./lib/rag-pipeline.ts";
import { benchRedis } from "./lib/redis-server.ts";
import { writeTopic } from "./lib/report.ts";

/**
 * The RAG end-to-end request (bench/lib/rag-pipeline.ts, the stream of bench/rag-e2e.ts) served by two
 * replicas behind a round-robin balancer, each with its own memory layer over one Redis and one
 * Chroma: embedding calls per 1000 requests with the embeddings shared through the exact layers and
 * without (each replica then embeds what it has not embedded itself).
 */

const { LATENCIES, STREAM, CONCURRENCY, SCALE } = ragSettings();
const REPLICAS = 2;
const L1_MAX = 300;

/** The local embedder with a memo of one replica's own (the process-wide memo is off): counts what it computes. */
function replicaEmbedder(counter: { computed: number }): Embedder {
  const base = localEmbedder();
  const memo = new Map<string, number[]>();
  return {
    id: base.id,
    dimensions: base.dimensions,
    threshold: base.threshold,
    async embed(texts) {
      const missing = [...new Set(texts.filter((text) => !memo.has(text)))];
      counter.computed += missing.length;
      const vectors = missing.length ? await base.embed(missing) : [];
      missing.forEach((text, i) => memo.set(text, vectors[i]!));
      return texts.map((text) => memo.get(text)!);
    },
  };
}

interface Phase {
  served: Served[];
  computed: number;
  shared: { hits: number; misses: number };
}

interface Run {
  mode: string;
  first: Phase;
  /** Both replicas restarted, the cached answers gone (expired), the embeddings kept where they are shared. */
  restart: Phase;
}

/** One replay of the stream by fresh replicas (fresh memos) over the run's Redis prefix and Chroma collection. */
async function phase(tag: string, sharedEmbeddings: boolean, redisUrl: string, chromaUrl: string, clearAfter: boolean) {
  const counter = { computed: 0 };
  const replicas = Array.from({ length: REPLICAS }, (_, i) => {
    const semantic = chroma({
      url: chromaUrl,
      collection: `replicas-${tag}`,
      embedder: replicaEmbedder(counter),
      sharedEmbeddings,
    });
    const cache: Cache = createCache({
      layers: [memory({ max: L1_MAX }), redis({ url: redisUrl, prefix: `${tag}:`, log: () => {} }), semantic],
      defaultTtl: "1h",
    });
    return { cache, semantic, handle: ragPipeline(new RagCache({ cache }), LATENCIES, 11 + i) };
  });
  const stream = queryStream(STREAM);
  const served: Served[] = new Array(stream.requests.length);
  await pool(stream.requests, CONCURRENCY, async (request, index) => {
    served[index] = await replicas[index % REPLICAS]!.handle(request);
  });
  const shared = { hits: 0, misses: 0 };
  for (const { semantic } of replicas) {
    const counts = (semantic.stats?.() as { sharedEmbeddings?: typeof shared }).sharedEmbeddings;
    shared.hits += counts?.hits ?? 0;
    shared.misses += counts?.misses ?? 0;
  }
  // The cached RAG entries expire (the embeddings namespace stays): every layer, Chroma included.
  if (clearAfter) for (const stage of ["expansion", "retrieval", "answer"]) await replicas[0]!.cache.clear(stage);
  await Promise.all(replicas.map(({ cache }) => cache.close()));
  return { served, computed: counter.computed, shared };
}

async function run(sharedEmbeddings: boolean, redisUrl: string, chromaUrl: string): Promise<Run> {
  const tag = `${sharedEmbeddings ? "shared" : "own"}-${Date.now()}`;
  const first = await phase(tag, sharedEmbeddings, redisUrl, chromaUrl, true);
  const restart = await phase(tag, sharedEmbeddings, redisUrl, chromaUrl, false);
  const mode = sharedEmbeddings ? "shared through the exact layers" : "each replica its own memo";
  console.error(`${mode}: ${first.computed} embeddings computed, ${restart.computed} after the restart`);
  return { mode, first, restart };
}

setEmbeddingMemoLimit(0);
const server = await benchRedis();
const chromaServer = await startChroma({ private: true });
const runs: Run[] = [];
try {
  for (const sharing of [false, true]) runs.push(await run(sharing, server.url, chromaServer.url));
} finally {
  await Promise.all([server.stop(), chromaServer.stop()]);
}

const stream = queryStream(STREAM);
const uniqueTexts = new Set(stream.requests.map((r) => r.text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim())).size;
const perThousand = (n: number) => (1000 * n) / STREAM.requests;
const ms = (served: Served[], q: number) =>
  percentile(
    served.map((s) => s.ms).sort((a, b) => a - b),
    q,
  );
const [own, shared] = runs as [Run, Run];
writeTopic("rag-replicas", {
  title: "RAG end to end on two replicas: embedding calls with and without shared embeddings",
  method: [
    `The RAG request of bench/rag-e2e.ts (expand → retrieve → answer through RagCache, stages ${LATENCIES.expansion} / ${LATENCIES.retrieval} / ${LATENCIES.llm} ms) replaying the same stream twice (${STREAM.requests} requests, Zipf(${STREAM.zipfS}), ${100 * STREAM.paraphraseShare} % paraphrases; ${uniqueTexts} distinct normalized questions) by ${CONCURRENCY} concurrent clients, request i served by replica i mod ${REPLICAS}; between the two replays both replicas restart (their memos are lost) and the cached expansions, retrievals and answers expire (cleared from every layer), so every question is looked up, and embedded, again.`,
    `Each replica: memory (${L1_MAX} entries) + Redis + Chroma (one private server each, shared by the replicas) with the local embedder. The process-wide embedding memo is off and each replica keeps a memo of its own, as separate processes would; "computed" counts the texts the embedder itself was asked for. With chroma({ sharedEmbeddings: true }) a replica looks a text up in the exact layers (namespace embeddings) before embedding it.`,
  ],
  tables: [
    {
      caption: "Embeddings per mode: a first replay, then both replicas restarted with the cached answers expired",
      columns: ["mode", "replay", "embeddings computed", "per 1000 requests", "shared hits", "shared misses", "p50 ms", "p95 ms"],
      rows: runs.flatMap((r) =>
        (["first", "restart"] as const).map((name) => {
          const { computed, shared: counts, served } = r[name];
          return [
            r.mode,
            name === "first" ? "first" : "after a restart",
            computed,
            perThousand(computed).toFixed(1),
            counts.hits,
            counts.misses,
            formatMs(ms(served, 50)),
            formatMs(ms(served, 95)),
          ];
        }),
      ),
    },
  ],
  goals: [
    {
      goal: "Shared embeddings: a restarted replica embeds no question another process embedded before",
      met: shared.restart.computed === 0,
      measured: `after a restart ${shared.restart.computed} computed shared vs ${own.restart.computed} without; first replay ${shared.first.computed} vs ${own.first.computed} (${uniqueTexts} distinct questions)`,
      whyMissed: "An embedding was not found in the exact layers after the restart: it was not written, or it expired.",
    },
  ],
  packages: ["ioredis", "chromadb"],
  data: {
    config: { SCALE, LATENCIES, STREAM, CONCURRENCY, REPLICAS, L1_MAX },
    uniqueTexts,
    runs: runs.map((r) => ({
      mode: r.mode,
      first: { computed: r.first.computed, shared: r.first.shared },
      restart: { computed: r.restart.computed, shared: r.restart.shared },
    })),
  },
});
console.log("wrote bench/results/rag-replicas.{json,md}");
