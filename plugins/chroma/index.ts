import {
  createKey,
  RagCacheError,
  keepUntil,
  keyOf,
  normalizeText,
  toMs,
  type CacheEntry,
  type CacheKey,
  type LayerContext,
  type LayerHit,
} from "../../src/index.ts";
import { shareEmbeddings } from "./embedders/shared.ts";
import { TAG_PREFIX, decode, encode } from "./codec.ts";
import { ChromaConnection } from "./connection.ts";
import { FeedbackStore } from "./feedback.ts";
import { verdictOf } from "./verify.ts";
import { answers, cosine, nearest, type LookupSettings, type Refusal } from "./lookup.ts";
import type { ChromaLayer, ChromaOptions } from "./options.ts";
import { layerSettings } from "./settings.ts";
import { QueryBatcher } from "./query-batch.ts";
import { entryRequests } from "./requests.ts";
import { WriteQueue, hasAnyTag, type PendingWrite } from "./writes.ts";

export * from "./embedders/index.ts";
export { meaningGuard, type GuardOptions, type SemanticGuard } from "./guard.ts";
export { createLexicon, type Lexicon, type LexiconOptions } from "./lexicon.ts";
export type { Refusal } from "./lookup.ts";
export type { Feedback, Verdict } from "./feedback.ts";
export { chatVerifier, type ChatVerifierOptions, type Verifier } from "./verify.ts";
export {
  configSchema,
  envAliases,
  type ChromaLayer,
  type ChromaOptions,
  type EmbedderConfig,
  type Explanation,
  type VerifyOptions,
} from "./options.ts";

declare module "../../src/types.ts" {
  interface CacheEvents {
    /** The semantic layer found a close stored question and refused to serve it. */
    guard: { key: CacheKey; layer: string; matchedText: string; similarity: number; reason: string };
  }
}

/** Why a match judged wrong by feedback is not served. */
const JUDGED_WRONG = "judged wrong for this query (feedback)";

/**
 * The semantic layer (L3): stores each question's embedding in a Chroma collection with its entry,
 * and answers a new question with the nearest stored one of the same namespace and parameters when
 * the two are similar enough and the guard agrees. The chain back-fills such a hit into the exact
 * layers under the new key. Chroma down or slow → a miss and an `error` event.
 * @example
 * ```ts
 * const cache = createCache({ layers: [memory(), chroma({ url: "http://127.0.0.1:8000", thresholds: { answer: 0.7 } })] });
 * await cache.set("How do I reset my password?", answer);
 * await cache.lookup("How can I reset my password"); // answered by "How do I reset my password?"
 * ```
 */
export function chroma(chromaOptions: ChromaOptions = {}): ChromaLayer {
  const settings = layerSettings(chromaOptions);
  const { options, embedder: ownEmbedder, threshold, thresholdOf, lexicon, guard, verify, sweepEvery } = settings;
  const { name } = options;
  const shared = options.sharedEmbeddings
    ? shareEmbeddings(ownEmbedder, () => context, toMs(options.embeddingTtl, "embeddingTtl"))
    : undefined;
  const embedder = shared ?? ownEmbedder;
  const counts = {
    lookups: 0,
    hits: 0,
    belowThreshold: 0,
    guarded: 0,
    filtered: 0,
    queries: 0,
    writeBatches: 0,
    judgedWrong: 0,
    verdictReads: 0,
    verified: 0,
    unverified: 0,
    rejected: 0,
    confirmed: 0,
  };
  const onForeignEntry = (key: CacheKey) =>
    context?.emit("error", {
      layer: name,
      operation: "get",
      key,
      error: new RagCacheError("E_INTEGRITY", "a stored entry answers another key (digest mismatch); skipped", { source: name }),
    });
  const lookup: LookupSettings = {
    embedderId: embedder.id,
    thresholdOf,
    guard,
    candidates: options.candidates,
    counts,
    onForeignEntry,
  };
  const embed = async (text: string) => (await embedder.embed([lexicon.text(text)]))[0]!;
  const scope = options.namespaces ? new Set(options.namespaces) : undefined;
  const matchable = (key: CacheKey) => key.text !== "" && (scope === undefined || scope.has(key.namespace));
  let context: LayerContext | undefined;
  let lastSweep: number | undefined;
  const now = () => context?.now() ?? Date.now();
  const connection = new ChromaConnection({
    ...settings.connection,
    onDown: (reason) => context?.emit("degraded", { layer: name, reason }),
    onUp: (downMs) => context?.emit("recovered", { layer: name, downMs }),
  });
  // Outages of the one server are reported by the entries' connection.
  const feedback = new FeedbackStore(
    new ChromaConnection({
      ...settings.connection,
      collection: `${settings.connection.collection}-feedback`,
      onDown: () => {},
      onUp: () => {},
    }),
    connection,
    () => now(),
  );
  const requests = entryRequests(connection, {
    requestTimeout: settings.connection.requestTimeout,
    candidates: options.candidates,
    counts,
  });
  const readVerdict = (queryId: string, matchedId: string) => {
    counts.verdictReads++;
    return feedback.isWrong(queryId, matchedId);
  };
  const write = async (batch: PendingWrite[]) => {
    await requests.upsert(batch);
    // An unmarked entry reads its verdict per hit: a failed mark costs speed, it does not fail the write.
    await feedback
      .markChecked(batch, requests.writeDeadline(batch.length))
      .catch((error: Error) => context?.emit("error", { layer: name, operation: "mark", error }));
  };

  const purgeExpired = () => requests.purgeExpired(now);
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
  const batcher = new QueryBatcher(requests.query);
  const writes = new WriteQueue((batch) =>
    write(batch).catch((error: Error) => context?.emit("error", { layer: name, operation: "set", error })),
  );

  const find = async (key: CacheKey, refused: (refusal: Refusal) => void): Promise<LayerHit | undefined> => {
    if (!matchable(key)) return undefined;
    counts.lookups++;
    sweepWhenDue();
    const queued = writes.pending(key.id);
    const queuedEntry = queued && Number(queued.metadata.keep) > now() ? decode(queued.metadata) : undefined;
    if (queuedEntry && answers(queuedEntry.digest, key, queued!.text)) {
      counts.hits++;
      return { ...queuedEntry, similarity: 1, matchedText: queued!.text };
    }
    const match = await nearest(batcher, requests.read, key, await embed(key.text), now(), lookup, writes.records(), refused);
    if (!match) return undefined;
    const refuse = (reason: string) =>
      void refused({ matchedText: match.hit.matchedText ?? "", similarity: match.hit.similarity ?? 0, reason });
    if (match.id !== key.id && !match.unjudged && (await readVerdict(key.id, match.id))) {
      counts.judgedWrong++;
      return refuse(JUDGED_WRONG);
    }
    if (verify && match.id !== key.id && (match.hit.similarity ?? 1) < thresholdOf(key.namespace) + verify.band) {
      counts.verified++;
      const verdict = await verdictOf(verify.verifier, key.text, match.hit.matchedText ?? "", verify.timeout);
      if (verdict !== true) {
        counts.unverified++;
        return refuse(verdict);
      }
    }
    counts.hits++;
    return match.hit;
  };

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
      const layerContext = context;
      const refused = (refusal: Refusal) => {
        if (!refusal.reason.startsWith("similarity")) layerContext?.emit("guard", { key, layer: name, ...refusal });
      };
      return find(key, refused);
    },
    async judge(key, matchedText, verdict) {
      if (verdict !== "wrong" && verdict !== "right")
        throw new RagCacheError("E_CONFIG_INVALID", `verdict must be "wrong" or "right", got ${JSON.stringify(verdict)}`, {
          source: name,
        });
      const matched = keyOf(key.namespace, normalizeText(matchedText), key.params);
      counts[verdict === "wrong" ? "rejected" : "confirmed"]++;
      await feedback.record(key, matched.id, matched.text, verdict, await embed(key.text));
    },
    async feedback(input) {
      const key = createKey(input.query, { namespace: input.namespace, params: input.params });
      await layer.judge(key, input.matchedText, input.verdict);
      // The match was back-filled under the query's key into the exact layers: it must go at once.
      if (input.verdict === "wrong") await context?.invalidateAbove({ type: "delete", ids: [key.id] });
    },
    reject: (query, lookup, keyOptions) => {
      if (lookup.matchedText === undefined)
        throw new RagCacheError("E_CONFIG_INVALID", "reject() takes a semantic lookup: this one has no matchedText", {
          source: name,
        });
      return layer.feedback({ query, ...keyOptions, matchedText: lookup.matchedText, verdict: "wrong" });
    },
    recordedFeedback: () => feedback.all(),
    async score(query, candidate) {
      const [asked, stored] = [normalizeText(query), normalizeText(candidate)];
      const [a, b] = await Promise.all([embed(asked), embed(stored)]);
      const verdict = guard(asked, stored);
      return { similarity: cosine(a, b), verdict: verdict === true ? true : verdict || "refused by the guard" };
    },
    async explain(query, keyOptions) {
      const refused: Refusal[] = [];
      const hit = await find(createKey(query, keyOptions), (refusal) => refused.push(refusal));
      return hit ? { hit, refused } : { refused };
    },
    thresholdOf,
    async set(key: CacheKey, entry: CacheEntry) {
      if (!matchable(key)) return;
      sweepWhenDue();
      if (keepUntil(entry) <= now()) return layer.delete(key);
      const metadata = encode(key, entry, embedder.id);
      const record = { id: key.id, vector: await embed(key.text), text: key.text, metadata, stamp: entry.stamp };
      // Without a chain there is nobody to report a failed background write to: write through.
      if (!context) return write([record]);
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
