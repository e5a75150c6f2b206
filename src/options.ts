import type { KeyOptions } from "./key.ts";
import type { Logger } from "./log.ts";
import type { CacheEvents, CacheKey, CacheLayer, Duration, MaybePromise } from "./types.ts";

/**
 * What `createCache` takes; `loadConfig` builds it from plain config.
 * @example
 * ```ts
 * createCache({ layers: [memory({ max: 10_000 })], defaultTtl: "10m", defaultGrace: "1h" });
 * ```
 */
export interface CacheOptions {
  /** Fastest first. A hit in a lower layer is written back into the ones above it. */
  layers: CacheLayer[];
  plugins?: CachePlugin[];
  /** TTL of entries set without one. Default "10m". */
  defaultTtl?: Duration;
  /** How long an expired entry may still be served when its loader fails. Default 0 (no grace). */
  defaultGrace?: Duration;
  /**
   * Longest `ttl` and longest `grace` an entry may have; past it `set` and `getOrSet` throw
   * `E_INVALID_TTL` before any layer sees the entry. `Infinity` lets `ttl: Infinity` (no expiry)
   * through. Default "365d". Env `RAG_MAX_TTL`.
   */
  maxTtl?: Duration;
  /**
   * Values are stored as a frozen copy of their JSON form: every tier serves the same value (a Date
   * comes back as its ISO string, from memory as from Redis), and nobody holding a reference can
   * change what the cache serves (changing a served value throws). `false` keeps the caller's own
   * object in memory, shared with every hit and unchanged, for speed: then never mutate a value you
   * set or got. Default true. Env `RAG_FREEZE_VALUES`.
   */
  freezeValues?: boolean;
  /** Budget of one layer call, for layers that set none. Default "1s". */
  layerTimeout?: Duration;
  /** Query text + canonical parameters, in characters. Default 16 384. */
  maxKeyLength?: number;
  /** JSON size of one value, in bytes. Default 8 MiB. */
  maxValueBytes?: number;
  /** `sample` listeners (metrics, warming) see 1 in this many lookups, timed. Default 64. */
  sampleEvery?: number;
  /** Epoch-ms clock; inject one to test TTLs without sleeping. Default: `Date.now`, read at most once per ms. */
  now?: () => number;
  /**
   * Where events worth an operator's attention (layer errors, degraded / recovered, pool exhausted, low
   * hit rate, warming) are logged; `false` for nowhere. Default `jsonLogger()`: JSON lines on stderr at
   * `RAG_LOG_LEVEL` (default "info"), rate-limited per kind.
   */
  log?: Logger | false;
}

/** What names an entry: the query text (namespace and parameters in the options), or a key from `cache.key`. */
export type Query = string | CacheKey;

/**
 * Options of `get` and `lookup`: the key's namespace and parameters, and whether a stale entry will do.
 * @example
 * ```ts
 * cache.get("what is rag?", { namespace: "retrieval", params: { k: 5 }, allowStale: true });
 * ```
 */
export interface GetOptions extends KeyOptions {
  /** Return an expired entry that is still inside its grace period. Default false. */
  allowStale?: boolean;
}

/**
 * Options of `set`: the key's namespace and parameters, freshness, and tags to invalidate by.
 * @example
 * ```ts
 * cache.set("what is rag?", docs, { namespace: "retrieval", ttl: "1h", tags: (docs) => docs.map((d) => `doc:${d.id}`) });
 * ```
 */
export interface SetOptions<V = unknown> extends KeyOptions {
  /** How long the entry is fresh. Default: the chain's `defaultTtl`. */
  ttl?: Duration;
  /** After expiry, how long it may still be served stale. Default: the chain's `defaultGrace`. */
  grace?: Duration;
  /** Tags to invalidate the entry by, or a function of the value (document ids known after loading). */
  tags?: readonly string[] | ((value: V) => readonly string[]);
}

/**
 * Options of `getOrSet` and `resolve`: those of `set`, plus how a stale entry is refreshed.
 * @example
 * ```ts
 * cache.getOrSet("q", load, { ttl: "10m", grace: "1h", staleWhileRevalidate: true });
 * ```
 */
export interface GetOrSetOptions<V = unknown> extends SetOptions<V> {
  /** Serve an entry in grace at once and refresh it in the background. Default false. */
  staleWhileRevalidate?: boolean;
  /** Skip the lookup and run the loader (the entry is replaced). Default false. */
  refresh?: boolean;
  /**
   * Let the processes sharing a coordinating layer (redis with `singleFlight`) run the loader once
   * between them; `false` keeps single flight to this process, for loaders cheaper than a lock. Default true.
   */
  distributed?: boolean;
}

/** How a request was answered: where from, and for a semantic hit what it matched. */
export interface Resolution<V = unknown> {
  value: V;
  /** With a hit or a stale entry: the key looked up, which `cache.reject` needs to correct a semantic hit. */
  key?: CacheKey;
  /** "hit": a fresh entry; "stale": an entry in grace (loader failed, or revalidating); "miss": the loader ran (or was joined). */
  status: "hit" | "miss" | "stale";
  /** The layer that answered a hit or a stale entry. */
  layer?: string;
  similarity?: number;
  matchedText?: string;
}

/**
 * Computes a value on a miss; receives the key, and the stale value when one is being refreshed.
 * @example
 * ```ts
 * const load: Loader<Doc[]> = ({ key }) => retrieve(key.text);
 * ```
 */
export type Loader<V> = (context: { key: CacheKey; stale?: V }) => MaybePromise<V>;

/** One layer's counters in `stats()`: the chain's hits and misses plus what the layer itself reports. */
export interface LayerStats {
  name: string;
  hits: number;
  misses: number;
  [reported: string]: unknown;
}

/** What `cache.stats()` answers: the chain's counters and one row per layer. */
export interface CacheStats {
  hits: number;
  misses: number;
  hitRate: number;
  sets: number;
  deletes: number;
  loads: number;
  errors: number;
  inflight: number;
  layers: LayerStats[];
}

/**
 * What a plugin may use of the chain it is set up on: the layers, the clock, keys, events, stats,
 * background work, and `getOrSet` (warming loads through it). The `Cache` class implements it;
 * plugins never see more.
 * @example
 * const plugin: CachePlugin = { name: "log-misses", setup: (cache) => cache.on("miss", ({ key }) => console.log(key.text)) };
 */
export interface CacheHandle {
  readonly layers: readonly CacheLayer[];
  readonly now: () => number;
  key(query: Query, options?: KeyOptions): CacheKey;
  getOrSet<V>(query: Query, loader: Loader<V>, options?: GetOrSetOptions<V>): MaybePromise<V>;
  on<E extends keyof CacheEvents & string>(event: E, listener: (payload: CacheEvents[E]) => void): () => void;
  off<E extends keyof CacheEvents & string>(event: E, listener: (payload: CacheEvents[E]) => void): void;
  emit<E extends keyof CacheEvents & string>(event: E, payload: CacheEvents[E]): void;
  stats(): CacheStats;
  /** Register background work that `close()` waits for. */
  track(work: Promise<unknown>): void;
}

/**
 * A cross-cutting feature (metrics, warming): subscribes to the chain, returns its teardown.
 * @example
 * createCache({ layers: [memory()], plugins: [metrics()] });
 */
export interface CachePlugin {
  readonly name: string;
  setup(cache: CacheHandle): MaybePromise<void | (() => MaybePromise<void>)>;
  /** What the standalone server mounts for this plugin (routes, /stats and dashboard panels). Default none. */
  readonly capabilities?: PluginCapabilities;
}

/**
 * What a plugin offers the standalone server, declared rather than guessed from its name and methods.
 * Every reader here is free of side effects: a scrape or a dashboard refresh never starts work.
 * @example
 * const plugin: CachePlugin = { name: "hits", setup() {}, capabilities: { stats: () => ({ seen: 1 }) } };
 */
export interface PluginCapabilities {
  /** Prometheus text exposition (format 0.0.4) served at GET /metrics. */
  prometheus?: () => string;
  /** JSON shown under `plugins.<name>` in GET /stats, and as a panel on the dashboard. */
  stats?: () => unknown;
  /** A background job: GET /v1/<route> is its status, POST starts it, POST `{ "cancel": true }` stops it. */
  job?: PluginJob;
}

/** A background job a plugin lets operators start, follow and cancel (the warming pass). */
export interface PluginJob {
  /** The path under /v1/, e.g. "warm". */
  readonly route: string;
  /** Starts a run, or joins the running one; `trigger` says who asked ("api"). */
  start(trigger: string): void;
  cancel(): void;
  /** `running` plus whatever the job reports: progress, last and next run. */
  status(): { running: boolean } & Record<string, unknown>;
}
