import type { Metadata } from "chromadb";

/** The neighbours of one query embedding, nearest first. */
export interface Neighbours {
  ids: string[];
  distances: (number | null)[];
  documents: (string | null)[];
  metadatas: (Metadata | null)[];
}

/** What one multi-embedding query answers: one list per embedding, in order. */
export interface BatchAnswer {
  ids: string[][];
  distances: (number | null)[][];
  documents: (string | null)[][];
  metadatas: (Metadata | null)[][];
}

/** The neighbours of the `index`th embedding of a query (none when Chroma left its list out). */
export function neighboursAt(answer: BatchAnswer, index: number): Neighbours {
  return {
    ids: answer.ids[index] ?? [],
    distances: answer.distances[index] ?? [],
    documents: answer.documents[index] ?? [],
    metadatas: answer.metadatas[index] ?? [],
  };
}

interface Waiting {
  vector: number[];
  resolve: (neighbours: Neighbours) => void;
  reject: (error: unknown) => void;
}

/** Most embeddings per query. */
const MAX_BATCH = 64;

/**
 * Sends concurrent lookups as one multi-embedding query: Chroma 1.0 answers many embeddings in one
 * request much faster than one request each. The first lookup goes out at once; those that
 * arrive while it is in flight leave together when it returns, so a lone lookup never waits.
 */
export class QueryBatcher {
  readonly #query: (vectors: number[][]) => Promise<BatchAnswer>;
  #waiting: Waiting[] = [];
  #running = false;

  constructor(query: (vectors: number[][]) => Promise<BatchAnswer>) {
    this.#query = query;
  }

  neighbours(vector: number[]): Promise<Neighbours> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ vector, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length) {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      try {
        const answer = await this.#query(batch.map((w) => w.vector));
        batch.forEach((waiting, i) => waiting.resolve(neighboursAt(answer, i)));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.#running = false;
  }
}
