import type { Collection, Metadata, Where } from "chromadb";
import { keyOf, type CacheKey, type LayerHit } from "../../src/index.ts";
import { decode } from "./codec.ts";
import { unjudged } from "./feedback.ts";
import type { SemanticGuard } from "./guard.ts";
import { neighboursAt, type Neighbours, type QueryBatcher } from "./query-batch.ts";
import type { PendingWrite } from "./writes.ts";

/** A stored question close to the query that was not served, and why. */
export interface Refusal {
  matchedText: string;
  similarity: number;
  /** "below threshold 0.7", or the guard's reason ("number differs: 5 vs 10"). */
  reason: string;
}

export interface LookupSettings {
  embedderId: string;
  /** Least similarity for a key's namespace. */
  thresholdOf: (namespace: string) => number;
  guard: SemanticGuard;
  /** Neighbours per query. */
  candidates: number;
  counts: { belowThreshold: number; guarded: number; filtered: number };
  /** A neighbour whose entry was not stored for its own text (and the query's namespace and parameters). */
  onForeignEntry: (key: CacheKey) => void;
}

/** The entry found, and the id of the stored question it belongs to. */
export interface Match {
  hit: LayerHit;
  id: string;
  /** True when the entry's metadata shows that no "wrong" verdict names it (feedback.ts). */
  unjudged: boolean;
}

interface Choice {
  match?: Match;
  /** False when a closer entry of the key's own partition may lie beyond the neighbours seen. */
  settled: boolean;
}

export const INCLUDE = ["metadatas", "distances", "documents"] as const;

/**
 * The nearest neighbour of `vector` within the key's namespace, parameters and embedder, if close
 * enough and allowed by the guard, among Chroma's neighbours and the `pending` writes not yet sent
 * (so a question is matched by meaning as soon as `set` returns). Chroma 1.0 answers a
 * metadata-filtered query by scanning every matching record, an unfiltered one from its HNSW index
 * (far faster on a large collection: see the README's semantic layer section), so the first query
 * is unfiltered and the filter is applied here. Only when every neighbour seen is close enough yet
 * unusable and some of them belong to another namespace, parameters or embedder (or expired) does
 * a second, filtered query look further. `refused` hears every close match not served, with the reason.
 */
export async function nearest(
  batcher: QueryBatcher,
  run: <T>(work: (collection: Collection) => Promise<T>) => Promise<T>,
  key: CacheKey,
  vector: number[],
  now: number,
  settings: LookupSettings,
  pending: readonly PendingWrite[],
  refused: (refusal: Refusal) => void,
): Promise<Match | undefined> {
  const queued = queuedNeighbours(key, vector, pending, settings, now);
  const first = await batcher.neighbours(vector);
  const choice = choose(key, merge(first, queued), first.ids.length < settings.candidates, now, settings, refused);
  if (choice.settled) return choice.match;
  settings.counts.filtered++;
  const where: Where = {
    $and: [
      { ns: { $eq: key.namespace } },
      { params: { $eq: key.paramsHash } },
      { emb: { $eq: settings.embedderId } },
      { keep: { $gt: now } },
    ],
  };
  const second = await run((collection) =>
    collection.query({ queryEmbeddings: [vector], nResults: settings.candidates, where, include: [...INCLUDE] }),
  );
  return choose(key, neighboursAt(second, 0), true, now, settings, () => {}).match;
}

function choose(
  key: CacheKey,
  found: Neighbours,
  exhausted: boolean,
  now: number,
  settings: LookupSettings,
  refused: (refusal: Refusal) => void,
): Choice {
  const { ids } = found;
  const threshold = settings.thresholdOf(key.namespace);
  let foreign = 0;
  for (let i = 0; i < ids.length; i++) {
    const similarity = ids[i] === key.id ? 1 : Math.min(1, 1 - (found.distances[i] ?? 1));
    const metadata = found.metadatas[i];
    const own = metadata && ownPartition(metadata, key, settings.embedderId, now);
    const matchedText = found.documents[i] ?? "";
    if (similarity < threshold) {
      settings.counts.belowThreshold++;
      if (own) refused({ matchedText, similarity, reason: `similarity ${similarity.toFixed(3)} below threshold ${threshold}` });
      return { settled: true };
    }
    const entry = own ? decode(metadata) : undefined;
    if (!entry) {
      foreign++;
      continue;
    }
    if (!answers(entry.digest, key, matchedText)) {
      settings.onForeignEntry(key);
      continue;
    }
    const verdict = settings.guard(key.text, matchedText);
    if (verdict !== true) {
      settings.counts.guarded++;
      refused({ matchedText, similarity, reason: verdict || "refused by the guard" });
      continue;
    }
    const match = { hit: { ...entry, similarity, matchedText }, id: ids[i]!, unjudged: unjudged(metadata!, entry.stamp) };
    return { match, settled: true };
  }
  // Settled when the collection holds no more to look at, or when every neighbour was of the key's
  // own partition and refused by the guard: a filtered query would return the same ones.
  return { settled: exhausted || foreign === 0 };
}

/** Whether the entry was stored for `text` under the query's namespace and parameters. */
export function answers(digest: string, key: CacheKey, text: string): boolean {
  return digest === (text === key.text ? key.digest : keyOf(key.namespace, text, key.params).digest);
}

/** Writes still queued for Chroma that belong to the key's partition, as neighbours. */
function queuedNeighbours(
  key: CacheKey,
  vector: number[],
  pending: readonly PendingWrite[],
  settings: LookupSettings,
  now: number,
): Neighbours {
  // The nearest `candidates`, as Chroma would answer: each neighbour may cost a guard call.
  const own = pending
    .filter((record) => ownPartition(record.metadata, key, settings.embedderId, now))
    .map((record) => ({ record, distance: 1 - cosine(vector, record.vector) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, settings.candidates);
  return {
    ids: own.map((o) => o.record.id),
    distances: own.map((o) => o.distance),
    documents: own.map((o) => o.record.text),
    metadatas: own.map((o) => o.record.metadata),
  };
}

/** Both lists as one, nearest first; a queued write replaces Chroma's older copy of the same id. */
function merge(stored: Neighbours, queued: Neighbours): Neighbours {
  if (!queued.ids.length) return stored;
  const newer = new Set(queued.ids);
  const rows = [
    ...stored.ids.map((id, i) => ({ id, source: stored, i })).filter((row) => !newer.has(row.id)),
    ...queued.ids.map((id, i) => ({ id, source: queued, i })),
  ].sort((a, b) => (a.source.distances[a.i] ?? 1) - (b.source.distances[b.i] ?? 1));
  return {
    ids: rows.map((row) => row.id),
    distances: rows.map((row) => row.source.distances[row.i] ?? 1),
    documents: rows.map((row) => row.source.documents[row.i] ?? null),
    metadatas: rows.map((row) => row.source.metadatas[row.i] ?? null),
  };
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA && normB ? dot / Math.sqrt(normA * normB) : 0;
}

function ownPartition(metadata: Metadata, key: CacheKey, embedderId: string, now: number): boolean {
  return (
    metadata.ns === key.namespace &&
    metadata.params === key.paramsHash &&
    metadata.emb === embedderId &&
    Number(metadata.keep) > now
  );
}
