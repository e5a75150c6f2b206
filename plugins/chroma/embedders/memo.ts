import type { Embedder } from "./embedder.ts";

const store = new Map<string, number[]>();
/** Embeddings being computed, by the same key: concurrent requests for one text share one call. */
const pending = new Map<string, Promise<number[]>>();
/** Vectors kept per process, across every memoized embedder; the least recently used go first. */
let limit = 10_000;

/**
 * Bound the process-wide memo (entries); 0 turns memoization off. Default 10 000.
 * @example
 * ```ts
 * setEmbeddingMemoLimit(100_000); // more repeated texts answered without an embedding call
 * ```
 */
export function setEmbeddingMemoLimit(max: number): void {
  limit = max;
  trim();
}

function trim(): void {
  for (const oldest of store.keys()) {
    if (store.size <= limit) break;
    store.delete(oldest);
  }
}

function recall(key: string): number[] | undefined {
  const vector = store.get(key);
  if (vector) {
    store.delete(key);
    store.set(key, vector);
  }
  return vector;
}

function remember(key: string, vector: number[]): void {
  if (limit <= 0) return;
  store.set(key, vector);
  if (store.size > limit) trim();
}

/**
 * The same embedder, with each text embedded once per process: a repeated text is answered from
 * the memo (keyed by embedder id + text), and concurrent requests for one text share one call.
 * Callers must not mutate the vectors they get.
 * @example
 * ```ts
 * const embedder = memoizeEmbedder({ id: "mine-384", dimensions: 384, embed: (texts) => myModel.embed(texts) });
 * ```
 */
export function memoizeEmbedder(embedder: Embedder): Embedder {
  const embed = async (texts: readonly string[]): Promise<number[][]> => {
    const keys = texts.map((text) => `${embedder.id}\u0000${text}`);
    const missing = new Map<string, string>();
    keys.forEach((key, i) => {
      if (!store.has(key) && !pending.has(key)) missing.set(key, texts[i]!);
    });
    if (missing.size) {
      const batch = embedder.embed([...missing.values()]);
      [...missing.keys()].forEach((key, j) => {
        const one = batch.then((vectors) => vectors[j]!);
        one.then(
          (vector) => remember(key, vector),
          () => {},
        );
        one.finally(() => pending.delete(key)).catch(() => {});
        pending.set(key, one);
      });
    }
    return Promise.all(keys.map((key) => recall(key) ?? pending.get(key)!));
  };
  const memoized: Embedder = { id: embedder.id, dimensions: embedder.dimensions, embed };
  if (embedder.threshold !== undefined) return { ...memoized, threshold: embedder.threshold };
  return memoized;
}
