import {
  parseOptions,
  keepUntil,
  RagCacheError,
  toMs,
  type CacheEntry,
  type CacheKey,
  type CacheLayer,
  type LayerContext,
  type LayerHit,
} from "../../src/index.ts";
import { localEmbedder, openAIEmbedder, type Embedder } from "./embedders/index.ts";
import { shareEmbeddings } from "./embedders/shared.ts";
import { TAG_PREFIX, decode, encode } from "./codec.ts";
import { ChromaConnection } from "./connection.ts";
import { meaningGuard, type GuardOptions, type SemanticGuard } from "./guard.ts";
import { INCLUDE, answers, nearest, type LookupSettings } from "./lookup.ts";
import { QueryBatcher } from "./query-batch.ts";
import { optionsSchema, type ChromaOptions, type EmbedderConfig } from "./options.ts";
import { WriteQueue, hasAnyTag, type PendingWrite } from "./writes.ts";

export * from "./embedders/index.ts";
export { meaningGuard, type GuardOptions, type SemanticGuard } from "./guard.ts";
export { configSchema, envAliases, type ChromaOptions, type EmbedderConfig } from "./options.ts";

/** Retries (after 50, 100, 200 ms) of a query that met a new collection's index segment being created. */
const NEW_SEGMENT_RETRIES = 3;
/** Extra write deadline per record of a batch: a few times what Chroma 1.0 spends on each (see the README). */
const WRITE_MS_PER_RECORD = 5;

/** The semantic layer plus what it can tell beyond the contract. */
export type ChromaLayer = CacheLayer & {
  readonly embedder: Embedder;
  readonly threshold: number;
  /** Delete every entry whose grace (or expiry) has passed; runs by itself every `sweepInterval`. */
  purgeExpired(): Promise<void>;
  /** Resolves once every queued write has reached Chroma (writes go behind, in batches). */
  flush(): Promise<void>;
};

/**
 * The semantic layer (L3): stores each question's embedding in a Chroma collection with its entry,
 * and answers a new question with the nearest stored one of the same namespace and parameters when
 * the two are similar enough and the guard agrees. The chain back-fills such a hit into the exact
 * layers under the new key. Chroma down or slow → a miss and an `error` event.
 * @example
 * ```ts
 * const cache = createCache({ layers: [memory(), chroma({ url: "http://127.0.0.1:8000", embedder: localEmbedder() })] });
 * await cache.lookup("How can I reset my password"); // answered by "How do I reset my password?"
 * ```
 */
export function chroma(chromaOptions: ChromaOptions = {}): ChromaLayer {
  const options = parseOptions(optionsSchema, chromaOptions, "chroma");
  const { name } = options;
  const ownEmbedder = embedderOf(options.embedder);
  const shared = options.sharedEmbeddings
    ? shareEmbeddings(ownEmbedder, () => context, toMs(options.embeddingTtl, "embeddingTtl"))
    : undefined;
  const embedder = shared ?? ownEmbedder;
  const threshold = options.threshold ?? embedder.threshold ?? 0.9;
  const guard = guardOf(options.guard);
  const counts = { lookups: 0, hits: 0, belowThreshold: 0, guarded: 0, filtered: 0, queries: 0, writeBatches: 0 };
  const onForeignEntry = (key: CacheKey) =>
    context?.emit("error", {
      layer: name,
      operation: "get",
      key,
      error: new RagCacheError("E_INTEGRITY", "a stored entry answers another key (digest mismatch); skipped", { source: name }),
    });
  const lookup: LookupSettings = {
    embedderId: embedder.id,
    threshold,
    guard,
    candidates: options.candidates,
    counts,
    onForeignEntry,
  };
  const sweepEvery = toMs(options.sweepInterval, "sweepInterval");
  const requestTimeout = toMs(options.timeout, "timeout");
  const scope = options.namespaces ? new Set(options.namespaces) : undefined;
  const matchable = (key: CacheKey) => key.text !== "" && (scope === undefined || scope.has(key.namespace));
  let context: LayerContext | undefined;
  let lastSweep: number | undefined;
  const now = () => context?.now() ?? Date.now();
  const connection = new ChromaConnection({
    name,
    url: options.url,
    collection: options.collection,
    headers: options.headers,
    requestTimeout,
    retryAfter: toMs(options.retryAfter, "retryAfter"),
    onDown: (reason) => context?.emit("degraded", { layer: name, reason }),
    onUp: (downMs) => context?.emit("recovered", { layer: name, downMs }),
  });

  // Lookups skip expired entries anyway: the purge only frees space, so it is not replayed after an outage.
  const purgeExpired = async () =>
    void (await connection.run("purge", (collection) => collection.delete({ where: { keep: { $lte: now() } } })));
  const sweepWhenDue = () => {
    if (!context) return;
    lastSweep ??= now();
    if (now() - lastSweep < sweepEvery) return;
    lastSweep = now();
    const layerContext = context;
    layerContext.track(
      purgeExpired().catch((error: Error) => layerContext.emit("error", { layer: name, operation: "purge", error })),
    );
  };

  // Upsert merges metadata, so a replaced entry keeps its old tag fields: a later invalidation of
  // such a tag drops it too. Over-invalidating a cache entry is harmless; a delete first would
  // double the cost of every write.
  const upsert = async (batch: PendingWrite[]) => {
    counts.writeBatches++;
    await connection.run(
      "set",
      (collection) =>
        collection.upsert({
          ids: batch.map((r) => r.id),
          embeddings: batch.map((r) => r.vector),
          documents: batch.map((r) => r.text),
          metadatas: batch.map((r) => r.metadata),
        }),
      requestTimeout + batch.length * WRITE_MS_PER_RECORD,
    );
  };
  const query = (vectors: number[][]) => {
    counts.queries++;
    return connection.run("get", (collection) =>
      collection.query({ queryEmbeddings: vectors, nResults: lookup.candidates, include: [...INCLUDE] }),
    );
  };
  // Chroma 1.0 fails queries for a moment while a new collection's first index segment is written.
  const retried = (vectors: number[][], attempt: number): ReturnType<typeof query> =>
    query(vectors).catch(async (error: Error) => {
      if (attempt >= NEW_SEGMENT_RETRIES || !error.message.includes("hnsw segment reader")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      return retried(vectors, attempt + 1);
    });
  const batcher = new QueryBatcher((vectors) => retried(vectors, 0));
  const writes = new WriteQueue((batch) =>
    upsert(batch).catch((error: Error) => context?.emit("error", { layer: name, operation: "set", error })),
  );

  const layer: ChromaLayer = {
    name,
    semantic: true,
    embedder,
    threshold,
    purgeExpired,
    attach(layerContext) {
      context = layerContext;
    },
    async get(key: CacheKey): Promise<LayerHit | undefined> {
      if (!matchable(key)) return undefined;
      counts.lookups++;
      sweepWhenDue();
      const queued = writes.pending(key.id);
      const queuedEntry = queued && Number(queued.metadata.keep) > now() ? decode(queued.metadata) : undefined;
      if (queuedEntry && answers(queuedEntry.digest, key, queued!.text)) {
        counts.hits++;
        return { ...queuedEntry, similarity: 1, matchedText: queued!.text };
      }
      const [vector] = await embedder.embed([key.text]);
      const hit = await nearest(batcher, (work) => connection.run("get", work), key, vector!, now(), lookup);
      if (hit) counts.hits++;
      return hit;
    },
    async set(key: CacheKey, entry: CacheEntry) {
      if (!matchable(key)) return;
      sweepWhenDue();
      if (keepUntil(entry) <= now()) return layer.delete(key);
      const [vector] = await embedder.embed([key.text]);
      const record = { id: key.id, vector: vector!, text: key.text, metadata: encode(key, entry, embedder.id) };
      // Without a chain there is nobody to report a failed background write to: write through.
      if (!context) return upsert([record]);
      const flushing = writes.put(record);
      if (flushing) context.track(flushing);
    },
    async delete(key) {
      await writes.drop((record) => record.id === key.id);
      await connection.invalidate("delete", (collection) => collection.delete({ ids: [key.id] }));
    },
    async clear(namespace) {
      await writes.drop((record) => namespace === undefined || record.metadata.ns === namespace);
      await connection.invalidate("clear", (collection) =>
        collection.delete({ where: namespace === undefined ? { ns: { $ne: "" } } : { ns: { $eq: namespace } } }),
      );
    },
    async invalidateTags(tags) {
      const clauses = tags.map((tag) => ({ [`${TAG_PREFIX}${tag}`]: { $eq: true } }));
      if (!clauses.length) return;
      await writes.drop(hasAnyTag(tags));
      await connection.invalidate("invalidateTags", (collection) =>
        collection.delete({ where: clauses.length === 1 ? clauses[0]! : { $or: clauses } }),
      );
    },
    async health() {
      try {
        await connection.heartbeat();
      } catch (error) {
        return { state: "down", detail: `Chroma heartbeat failed: ${(error as Error).message}` };
      }
      if (connection.state === "down" || connection.pendingInvalidations)
        return {
          state: "degraded",
          detail: "Chroma answers again; the layer recovers on its next call",
          pendingInvalidations: connection.pendingInvalidations,
        };
      return { state: "up", embedder: embedder.id, threshold };
    },
    stats: () => ({
      ...counts,
      queuedWrites: writes.size,
      droppedWrites: writes.dropped,
      state: connection.state,
      pendingInvalidations: connection.pendingInvalidations,
      embedder: embedder.id,
      threshold,
      ...(shared ? { sharedEmbeddings: { ...shared.counts } } : {}),
    }),
    flush: () => writes.flush(),
    close: () => writes.flush(),
  };
  return layer;
}

function embedderOf(option: Embedder | EmbedderConfig | undefined): Embedder {
  if (option === undefined || option === "local") return localEmbedder();
  if (option === "openai") return openAIEmbedder();
  if ("embed" in option) return option;
  const { type, ...settings } = option;
  return type === "local" ? localEmbedder(settings) : openAIEmbedder(settings);
}

function guardOf(option: boolean | GuardOptions | SemanticGuard): SemanticGuard {
  if (option === false) return () => true;
  if (option === true) return meaningGuard();
  return typeof option === "function" ? option : meaningGuard(option);
}
