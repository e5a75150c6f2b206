import type { Collection, Metadata, Where } from "chromadb";
import type { CacheKey, LayerHit } from "../../src/index.ts";
import { decode } from "./codec.ts";
import type { SemanticGuard } from "./guard.ts";

export interface LookupSettings {
  embedderId: string;
  threshold: number;
  guard: SemanticGuard;
  /** Neighbours per query. */
  candidates: number;
  counts: { belowThreshold: number; guarded: number; filtered: number };
}

interface Choice {
  hit?: LayerHit;
  /** False when a closer entry of the key's own partition may lie beyond the neighbours seen. */
  settled: boolean;
}

type QueryResult = Awaited<ReturnType<Collection["query"]>>;

const INCLUDE = ["metadatas", "distances", "documents"] as const;

/**
 * The nearest neighbour of `vector` within the key's namespace, parameters and embedder, if close
 * enough and allowed by the guard. Chroma 1.0 answers a metadata-filtered query by scanning every
 * matching record (tens of ms at 10k entries), an unfiltered one from its HNSW index (about 2 ms),
 * so the first query is unfiltered and the filter is applied here. Only when every neighbour seen is
 * close enough yet unusable (another namespace, expired, refused by the guard) does a second,
 * filtered query look further.
 */
export async function nearest(
  run: <T>(work: (collection: Collection) => Promise<T>) => Promise<T>,
  key: CacheKey,
  vector: number[],
  now: number,
  settings: LookupSettings,
): Promise<LayerHit | undefined> {
  const { candidates } = settings;
  const first = await run((collection) => collection.query({ queryEmbeddings: [vector], nResults: candidates, include: [...INCLUDE] }));
  const choice = choose(key, first, now, settings);
  if (choice.settled) return choice.hit;
  settings.counts.filtered++;
  const where: Where = { $and: [{ ns: { $eq: key.namespace } }, { params: { $eq: key.paramsHash } }, { emb: { $eq: settings.embedderId } }, { keep: { $gt: now } }] };
  const second = await run((collection) => collection.query({ queryEmbeddings: [vector], nResults: candidates, where, include: [...INCLUDE] }));
  return choose(key, second, now, settings).hit;
}

function choose(key: CacheKey, result: QueryResult, now: number, settings: LookupSettings): Choice {
  const ids = result.ids[0] ?? [];
  for (let i = 0; i < ids.length; i++) {
    const similarity = ids[i] === key.id ? 1 : Math.min(1, 1 - (result.distances[0]?.[i] ?? 1));
    if (similarity < settings.threshold) {
      settings.counts.belowThreshold++;
      return { settled: true };
    }
    const metadata = result.metadatas[0]?.[i];
    if (!metadata || !ownPartition(metadata, key, settings.embedderId, now)) continue;
    const matchedText = result.documents[0]?.[i] ?? "";
    if (!settings.guard(key.text, matchedText)) {
      settings.counts.guarded++;
      continue;
    }
    return { hit: { ...decode(metadata), similarity, matchedText }, settled: true };
  }
  // Fewer neighbours than asked for: the collection holds no more to look at.
  return { settled: ids.length < settings.candidates };
}

function ownPartition(metadata: Metadata, key: CacheKey, embedderId: string, now: number): boolean {
  return metadata.ns === key.namespace && metadata.params === key.paramsHash && metadata.emb === embedderId && Number(metadata.keep) > now;
}
