import type { Collection } from "chromadb";
import type { ChromaConnection } from "./connection.ts";
import { INCLUDE } from "./lookup.ts";
import type { BatchAnswer } from "./query-batch.ts";
import type { PendingWrite } from "./writes.ts";

/**
 * Retries (after 50, 100, 200, 400, 800 ms) of a query that met a new collection's index segment
 * being created: under load it took more than the first three, once each write batch was followed
 * by its feedback mark (a second write).
 */
const NEW_SEGMENT_RETRIES = 5;
/** Extra write deadline per record of a batch: a few times what Chroma 1.0 spends on each (see the README). */
const WRITE_MS_PER_RECORD = 5;

interface RequestSettings {
  requestTimeout: number;
  /** Neighbours per query. */
  candidates: number;
  counts: { queries: number; writeBatches: number };
}

/**
 * The layer's requests to its collection of entries: multi-embedding queries, batched upserts with a
 * deadline that grows with the batch, and the purge of expired entries.
 */
export function entryRequests(connection: ChromaConnection, settings: RequestSettings) {
  const { counts } = settings;
  const writeDeadline = (records: number) => settings.requestTimeout + records * WRITE_MS_PER_RECORD;
  const query = (vectors: number[][]): Promise<BatchAnswer> => {
    counts.queries++;
    return connection.run("get", (collection) =>
      collection.query({ queryEmbeddings: vectors, nResults: settings.candidates, include: [...INCLUDE] }),
    );
  };
  // Chroma 1.0 fails queries for a moment while a new collection's first index segment is written.
  const retried = (vectors: number[][], attempt: number): Promise<BatchAnswer> =>
    query(vectors).catch(async (error: Error) => {
      if (attempt >= NEW_SEGMENT_RETRIES || !error.message.includes("hnsw segment reader")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      return retried(vectors, attempt + 1);
    });
  return {
    /** One query for many embeddings, retried while a new collection's index segment is created. */
    query: (vectors: number[][]) => retried(vectors, 0),
    /** Any other read of the collection (the filtered second query of a lookup). */
    read: <T>(work: (collection: Collection) => Promise<T>) => connection.run("get", work),
    // Upsert merges metadata, so a replaced entry keeps its old tag fields: a later invalidation of
    // such a tag drops it too. Over-invalidating a cache entry is harmless; a delete first would
    // double the cost of every write.
    async upsert(batch: PendingWrite[]): Promise<void> {
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
        writeDeadline(batch.length),
      );
    },
    /** Deadline of a write of `records` records, ms. */
    writeDeadline,
    /** Lookups skip expired entries anyway: the purge only frees space, so it is not replayed after an outage. */
    async purgeExpired(now: () => number): Promise<void> {
      await connection.run("purge", (collection) => collection.delete({ where: { keep: { $lte: now() } } }));
    },
  };
}
