import type { Collection, Metadata, Where } from "chromadb";
import { keyOf, type CacheKey, type LayerHit } from "../../src/index.ts";
import { decode } from "./codec.ts";
import type { SemanticGuard } from "./guard.ts";
import type { Neighbours, QueryBatcher } from "./query-batch.ts";

export interface LookupSettings {
  embedderId: string;
  threshold: number;
  guard: SemanticGuard;
  /** Neighbours per query. */
  candidates: number;
  counts: { belowThreshold: number; guarded: number; filtered: number };
  /** A neighbour whose entry was not stored for its own text (and the query's namespace and parameters). */
  onForeignEntry: (key: CacheKey) => void;
}

interface Choice {
  hit?: LayerHit;
  /** False when a closer entry of the key's own partition may lie beyond the neighbours seen. */
  settled: boolean;
}

export const INCLUDE = ["metadatas", "distances", "documents"] as const;

/**
 * The nearest neighbour of `vector` within the key's namespace, parameters and embedder, if close
 * enough and allowed by the guard. Chroma 1.0 answers a metadata-filtered query by scanning every
 * matching record, an unfiltered one from its HNSW index (far faster on a large collection: see the
 * README's semantic layer section), so the first query is unfiltered and the filter is applied here. Only when every neighbour seen is
 * close enough yet unusable and some of them belong to another namespace, parameters or embedder
 * (or expired) does a second, filtered query look further.
 */
export async function nearest(
  batcher: QueryBatcher,
  run: <T>(work: (collection: Collection) => Promise<T>) => Promise<T>,
  key: CacheKey,
  vector: number[],
  now: number,
  settings: LookupSettings,
): Promise<LayerHit | undefined> {
  const choice = choose(key, await batcher.neighbours(vector), now, settings);
  if (choice.settled) return choice.hit;
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
  const neighbours: Neighbours = {
    ids: second.ids[0] ?? [],
    distances: second.distances[0] ?? [],
    documents: second.documents[0] ?? [],
    metadatas: second.metadatas[0] ?? [],
  };
  return choose(key, neighbours, now, settings).hit;
}

function choose(key: CacheKey, found: Neighbours, now: number, settings: LookupSettings): Choice {
  const { ids } = found;
  let foreign = 0;
  for (let i = 0; i < ids.length; i++) {
    const similarity = ids[i] === key.id ? 1 : Math.min(1, 1 - (found.distances[i] ?? 1));
    if (similarity < settings.threshold) {
      settings.counts.belowThreshold++;
      return { settled: true };
    }
    const metadata = found.metadatas[i];
    const entry = metadata && ownPartition(metadata, key, settings.embedderId, now) ? decode(metadata) : undefined;
    if (!entry) {
      foreign++;
      continue;
    }
    const matchedText = found.documents[i] ?? "";
    if (!answers(entry.digest, key, matchedText)) {
      settings.onForeignEntry(key);
      continue;
    }
    if (!settings.guard(key.text, matchedText)) {
      settings.counts.guarded++;
      continue;
    }
    return { hit: { ...entry, similarity, matchedText }, settled: true };
  }
  // Settled when the collection holds no more to look at, or when every neighbour was of the key's
  // own partition and refused by the guard: a filtered query would return the same ones.
  return { settled: ids.length < settings.candidates || foreign === 0 };
}

/** Whether the entry was stored for `text` under the query's namespace and parameters. */
export function answers(digest: string, key: CacheKey, text: string): boolean {
  return digest === (text === key.text ? key.digest : keyOf(key.namespace, text, key.params).digest);
}

function ownPartition(metadata: Metadata, key: CacheKey, embedderId: string, now: number): boolean {
  return (
    metadata.ns === key.namespace &&
    metadata.params === key.paramsHash &&
    metadata.emb === embedderId &&
    Number(metadata.keep) > now
  );
}
