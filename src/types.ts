/** A value or a promise of it: a synchronous layer answers without a microtask. */
export type MaybePromise<T> = T | Promise<T>;

/** Milliseconds, or a duration string: "500ms", "30s", "10m", "1h", "1d". */
export type Duration = number | string;

/** JSON-compatible parameters that take part in the key (model, top-k, filters …). */
export type KeyParams = Record<string, unknown>;

/**
 * The identity of one cache entry. `id` is what exact layers store under; the other fields are
 * there for layers that need more than identity (the semantic layer embeds `text`, the warming
 * plugin replays `text` + `params`).
 */
export interface CacheKey {
  /** `${namespace}:<first 32 hex digits of digest>`: stable across processes and versions of the same major. */
  readonly id: string;
  readonly namespace: string;
  /** The normalized query text (NFKC, lower case, collapsed whitespace). Empty when only the id is known. */
  readonly text: string;
  /** Canonical (sorted-keys) JSON of the parameters, or "" without parameters. */
  readonly params: string;
  /** Hash of `params`: the semantic layer only matches entries with the same one. */
  readonly paramsHash: string;
  /**
   * SHA-256 (hex) of namespace, text and parameters. Every stored entry carries the digest of the key
   * it answers; an exact layer's answer whose digest differs is a miss (E_INTEGRITY). "" when only
   * the id is known (`keyFromId`): such a key deletes and invalidates but never reads an entry.
   */
  readonly digest: string;
  /**
   * Where an in-process layer keeps its record of this key object, to find its entry without a lookup
   * on the next read of the same key. Not part of the key (not enumerable, never serialized); a layer
   * trusts it only after checking that the record is its own and still current.
   */
  layerRef?: unknown;
}

/** What a layer stores. Times are epoch milliseconds of the chain's clock. */
export interface CacheEntry<V = unknown> {
  value: V;
  /** After this the entry is stale. `Infinity` for no expiry. */
  expiresAt: number;
  /** A stale entry may still be served (stale-if-error / stale-while-revalidate) until this. */
  graceUntil?: number;
  tags?: readonly string[];
  createdAt: number;
  /**
   * Write stamp (`nextStamp()`): orders writes of one key across processes. Whatever replaces an
   * entry (back-fill, bus, reconcile, warming, refresh) never replaces it with an older stamp.
   */
  stamp: number;
  /** `digest` of the key this entry answers. */
  digest: string;
  /** Serialized size in bytes, when the chain already measured it. */
  size?: number;
}

/** A layer's answer: the entry, and for a semantic match what it matched. */
export interface LayerHit<V = unknown> extends CacheEntry<V> {
  /** Cosine similarity of a semantic match (1 for exact layers, absent there). */
  similarity?: number;
  /** The stored query text a semantic match came from. */
  matchedText?: string;
}

/** A user's judgement of a semantic match: "wrong" (never serve it for that query again) or "right" (confirmed). */
export type Verdict = "wrong" | "right";

/** "degraded" still answers (from a fallback, say); "down" does not, and makes `GET /health` answer 503. */
export type LayerState = "up" | "degraded" | "down";

/** What a layer's `health()` reports, shown per layer on `GET /health`. */
export interface LayerHealth {
  state: LayerState;
  /** Why it is not "up", or other details worth showing on /health. */
  detail?: string;
  [extra: string]: unknown;
}

/** How a layer tells the chain about remote invalidations (another process changed a key). */
export type Invalidation =
  | { type: "delete"; ids: readonly string[] }
  | { type: "tags"; tags: readonly string[] }
  | { type: "clear"; namespace?: string };

/** How the chain asks a layer to store an entry. */
export interface LayerSetOptions {
  /**
   * The entry is a copy read from a slower layer (a back-fill): store it unless the layer holds an
   * entry of the same key (same `digest`) with the same or a later `stamp` (`backfillLoses`). Plain
   * writes never set it.
   */
  readonly ifNewer?: boolean;
}

/** Handed to each layer by the chain once, before first use. */
export interface LayerContext {
  /** The layer's position in the chain, 0 = fastest. */
  readonly index: number;
  /**
   * Every layer of the chain, fastest first (this one at `index`): for a layer that keeps data of its
   * own in the others, as the semantic layer shares embeddings through the exact ones.
   */
  readonly layers: readonly CacheLayer[];
  readonly now: () => number;
  readonly emit: <E extends keyof CacheEvents & string>(event: E, payload: CacheEvents[E]) => void;
  /** Apply an invalidation received from elsewhere to the layers above this one (no re-publish). */
  readonly invalidateAbove: (invalidation: Invalidation) => Promise<void>;
  /** Run background work that `close()` must wait for. */
  readonly track: (work: Promise<unknown>) => void;
}

/**
 * One `getOrSet` load as a coordinating layer sees it: what to run when this process loads, and how
 * to read the value another process stored.
 */
export interface Flight<V = unknown> {
  /** Runs the loader and writes its value through the chain; answers the stored value. */
  load(): Promise<V>;
  /** The key's fresh value as the chain reads it now (through every layer, back-filling), or undefined. */
  read(): Promise<V | undefined>;
  /** The load replaces a fresh entry (`refresh: true`): a fresh value read before loading is no answer. */
  readonly refresh: boolean;
}

/**
 * The contract every layer satisfies. Built-in layers and users' own layers look the same to
 * the chain; write a layer as `{ … } satisfies CacheLayer` and test it with `layerConformance` from `ragcache/testing`.
 */
export interface CacheLayer {
  /** Shown in events, stats and X-Cache-Layer. Unique within a chain. */
  readonly name: string;
  /** Matches by meaning: `get` receives the key's text and may answer with another key's entry. */
  readonly semantic?: boolean;
  /** Survives a restart (the warming plugin keeps its frequency table in such a layer). */
  readonly persistent?: boolean;
  /** Budget for one call, in ms; slower counts as a miss. Defaults to the chain's `layerTimeout`. */
  readonly timeout?: number;
  attach?(context: LayerContext): void;
  get(key: CacheKey): MaybePromise<LayerHit | undefined>;
  set(key: CacheKey, entry: CacheEntry, options?: LayerSetOptions): MaybePromise<void>;
  delete(key: CacheKey): MaybePromise<void>;
  /** Remove every entry, or every entry of one namespace. */
  clear(namespace?: string): MaybePromise<void>;
  /** Remove every entry carrying any of the tags. */
  invalidateTags(tags: readonly string[]): MaybePromise<void>;
  /**
   * Declared by a layer that processes share (redis): makes them load a key once between them. Runs
   * `flight.load()` in one process and has the others wait for it and `flight.read()` its value; the
   * chain calls it around a `getOrSet` loader after a miss. Rejects only with a loader's error (this
   * process's, or the one another process reported); trouble with the layer itself means loading here.
   */
  coordinate?<V>(key: CacheKey, flight: Flight<V>): Promise<V>;
  /**
   * A semantic layer that takes corrections (the chroma layer): records a verdict on its match of the
   * stored question `matchedText` for `key`, where every instance sharing the layer's store sees it on
   * its next lookup. "wrong": that match never answers `key` again. `cache.reject` calls it.
   */
  judge?(key: CacheKey, matchedText: string, verdict: Verdict): Promise<void>;
  health?(): MaybePromise<LayerHealth>;
  /** Layer-specific numbers for `stats()` (pool, size …). */
  stats?(): Record<string, unknown>;
  close?(): MaybePromise<void>;
}

/** Why an `evict` event dropped an entry: expiry, a count or byte bound, an invalidation, another process. */
export type EvictReason = "expired" | "capacity" | "size" | "invalidated" | "remote";

/** Events of the chain. Plugins add their own by augmenting this interface. */
export interface CacheEvents {
  hit: { key: CacheKey; layer: string; layerIndex: number; ms: number; similarity?: number; matchedText?: string };
  miss: { key: CacheKey; ms: number };
  /** One layer's answer was a miss; `ms` is how long it took. */
  "layer-miss": { key: CacheKey; layer: string; layerIndex: number; ms: number };
  /**
   * A timed lookup, 1 in `sampleEvery` (every lookup while `hit`/`miss` listeners exist): where it
   * was answered (`layerIndex` -1 and no `layer` for a miss) and how long it took. The cheap way to
   * watch latency and traffic.
   */
  sample: { key: CacheKey; layer?: string; layerIndex: number; ms: number };
  set: { key: CacheKey; layers: number };
  delete: { key: CacheKey };
  evict: { layer: string; id: string; reason: EvictReason };
  error: { layer: string; operation: string; error: Error; key?: CacheKey };
  stale: { key: CacheKey; layer: string; reason: "loader-error" | "revalidate" };
  degraded: { layer: string; reason: string };
  recovered: { layer: string; downMs: number };
  [custom: string]: unknown;
}
