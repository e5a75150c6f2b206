import {
  createKey,
  nextStamp,
  normalizeText,
  RagCacheError,
  serializedSize,
  toError,
  type CacheEntry,
  type CacheKey,
  type CacheLayer,
  type LayerContext,
} from "../../../src/index.ts";
import type { Embedder } from "./embedder.ts";
import { packVector, unpackVector } from "./packed.ts";

const DEFAULT_TIMEOUT_MS = 1_000;

/** Namespace of the embeddings shared through the chain's exact layers. */
export const EMBEDDINGS_NAMESPACE = "embeddings";

/** Hits and misses of the shared embeddings, and the texts the embedder itself was asked for. */
export interface SharedEmbeddingCounts {
  hits: number;
  misses: number;
  embedded: number;
}

/** An embedder whose vectors are shared through the chain's exact layers; `counts` says how often that helped. */
export type SharedEmbedder = Embedder & { readonly counts: SharedEmbeddingCounts };

/**
 * `embedder`, looking each text up first in the chain's exact layers (memory, Redis, files: every
 * layer but the semantic ones), under namespace "embeddings" keyed by the embedder's id (model and
 * settings), its dimensions and the exact text; what it had to embed is stored there for `ttlMs`, so
 * other processes and later runs do not embed the same text again. Until the layer is attached (the
 * chain is built) it embeds as `embedder` does. A failing layer is a miss plus an `error` event.
 * @example
 * ```ts
 * const embedder = shareEmbeddings(localEmbedder(), () => context, 30 * 86_400_000);
 * ```
 */
export function shareEmbeddings(embedder: Embedder, context: () => LayerContext | undefined, ttlMs: number): SharedEmbedder {
  const counts: SharedEmbeddingCounts = { hits: 0, misses: 0, embedded: 0 };
  const params = { embedder: embedder.id, dimensions: embedder.dimensions };
  const keyOf = (text: string): CacheKey =>
    createKey(text, {
      namespace: EMBEDDINGS_NAMESPACE,
      // The key's text is normalized (case, whitespace); the vector is of the exact text.
      params: normalizeText(text) === text ? params : { ...params, text },
    });

  async function embed(texts: readonly string[]): Promise<number[][]> {
    const layerContext = context();
    if (!layerContext) return embedder.embed(texts);
    const layers = layerContext.layers.filter((layer) => !layer.semantic);
    const keys = texts.map(keyOf);
    const found = await Promise.all(keys.map((key) => read(layerContext, layers, key, embedder.dimensions)));
    const missing = texts.flatMap((text, i) => (found[i] ? [] : [text]));
    counts.hits += texts.length - missing.length;
    counts.misses += missing.length;
    if (!missing.length) return found as number[][];
    counts.embedded += missing.length;
    const vectors = await embedder.embed(missing);
    let next = 0;
    return found.map((vector, i) => {
      if (vector) return vector;
      const made = vectors[next++]!;
      layerContext.track(write(layerContext, layers, keys[i]!, made, ttlMs));
      return made;
    });
  }

  const shared: SharedEmbedder = { id: embedder.id, dimensions: embedder.dimensions, embed, counts };
  return embedder.threshold === undefined ? shared : { ...shared, threshold: embedder.threshold };
}

/**
 * The first fresh vector of the key's own in the layers, fastest first, as a new array of the caller's;
 * copied into the faster layers that missed.
 */
async function read(
  context: LayerContext,
  layers: readonly CacheLayer[],
  key: CacheKey,
  dimensions: number,
): Promise<number[] | undefined> {
  for (let i = 0; i < layers.length; i++) {
    const hit = await attempt(context, layers[i]!, "get", key, () => layers[i]!.get(key));
    if (!hit || hit.digest !== key.digest || hit.expiresAt <= context.now()) continue;
    const vector = vectorOf(hit.value, dimensions);
    if (!vector) continue;
    for (const above of layers.slice(0, i)) context.track(attempt(context, above, "set", key, () => above.set(key, hit)));
    return vector;
  }
  return undefined;
}

async function write(
  context: LayerContext,
  layers: readonly CacheLayer[],
  key: CacheKey,
  vector: number[],
  ttlMs: number,
): Promise<void> {
  const now = context.now();
  const value = packVector(vector);
  const entry: CacheEntry = {
    value,
    createdAt: now,
    expiresAt: now + ttlMs,
    stamp: nextStamp(),
    digest: key.digest,
    size: serializedSize(value),
  };
  await Promise.all(layers.map((layer) => attempt(context, layer, "set", key, () => layer.set(key, entry))));
}

/**
 * One layer call that never throws nor hangs: a failure, or no answer within the layer's `timeout`
 * (default 1 s), is reported as the chain reports one and answers undefined.
 */
async function attempt<T>(
  context: LayerContext,
  layer: CacheLayer,
  operation: string,
  key: CacheKey,
  call: () => T | Promise<T>,
): Promise<T | undefined> {
  const ms = layer.timeout ?? DEFAULT_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RagCacheError("E_LAYER_TIMEOUT", `took longer than ${ms} ms`, { source: layer.name })),
      ms,
    );
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (error) {
    context.emit("error", { layer: layer.name, operation: `embeddings ${operation}`, error: toError(error), key });
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A new array of the stored vector's numbers, or undefined for a value that is none (of another
 * length included: the embedder never answers a short vector). An array of
 * numbers is how earlier versions stored a vector: still read, so their entries are not embedded
 * again (an embedding API bills each time) while old and new processes share one Redis.
 */
function vectorOf(value: unknown, dimensions: number): number[] | undefined {
  if (typeof value === "string") return unpackVector(value, dimensions);
  const isVector = Array.isArray(value) && value.length === dimensions && value.every((x) => typeof x === "number");
  return isVector ? [...value] : undefined;
}
