import { jsonLogger, logEvents } from "../log.ts";
import { coarseClock } from "./clock.ts";
import { toMs } from "../duration.ts";
import { boundedTtl, keepUntil, createEntry, maxTtlMs, nextStamp } from "../entry.ts";
import { RagCacheError, toError } from "../errors.ts";
import { Emitter, type Listener } from "./events.ts";
import { chainHealth, type ChainHealth } from "./health.ts";
import { keyFromId, type KeyOptions } from "../key.ts";
import { KeyMemo } from "./key-memo.ts";
import { Invalidations } from "./invalidations.ts";
import { NewestWrites } from "./newest-writes.ts";
import { deepFreeze } from "../value.ts";
import type {
  CacheHandle,
  CacheOptions,
  CachePlugin,
  CacheStats,
  GetOptions,
  LayerStats,
  GetOrSetOptions,
  Loader,
  Query,
  Resolution,
  SetOptions,
} from "../options.ts";
import { callLayer } from "./layer-call.ts";
import { LayerWalk, type Found } from "./walk.ts";
import type { CacheEntry, CacheEvents, CacheKey, CacheLayer, Duration, Invalidation, LayerHit, MaybePromise } from "../types.ts";

/** Shared default, so a call without options allocates nothing. */
const NO_OPTIONS = Object.freeze({});
const IF_NEWER = Object.freeze({ ifNewer: true });

/**
 * The chain: layers fastest first, one lookup walks them and back-fills the faster ones on a lower
 * hit; concurrent loads of one key run the loader once. Made by `createCache`.
 * @example
 * ```ts
 * const docs = await cache.getOrSet("what is rag?", () => retrieve("what is rag?"), { ttl: "1h", tags: ["doc:17"] });
 * await cache.invalidateTags(["doc:17"]);
 * ```
 */
export class Cache implements CacheHandle {
  readonly layers: readonly CacheLayer[];
  /** Resolves when every plugin is set up; rejects with the first plugin that failed. */
  readonly ready: Promise<void>;
  readonly now: () => number;
  #emitter: Emitter;
  #walk: LayerWalk;
  #defaultTtl: Duration;
  #defaultGrace?: Duration;
  #maxValueBytes: number;
  #maxTtl: number;
  #freezeValues: boolean;
  #keys: KeyMemo;
  #inflight = new Map<string, Promise<unknown>>();
  /** Keys whose running load a set or delete overtook: the load's value is returned, not stored. */
  #overtakenLoads = new Set<string>();
  #newestWrites = new NewestWrites();
  #invalidations = new Invalidations();
  /** Lookups of get-or-load callers still waiting for a slower layer, shared by key. */
  #lookups = new Map<string, Promise<Found | undefined>>();
  #background = new Set<Promise<unknown>>();
  #teardowns: (() => MaybePromise<void>)[] = [];
  #closed = false;
  #counts = { sets: 0, deletes: 0, loads: 0, errors: 0 };

  constructor(options: CacheOptions) {
    if (!options.layers?.length) throw new RagCacheError("E_CONFIG_INVALID", "a cache needs at least one layer");
    const names = options.layers.map((layer) => layer.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) throw new RagCacheError("E_CONFIG_INVALID", `two layers are named "${duplicate}"; give one a \`name\``);
    this.layers = options.layers;
    this.now = options.now ?? coarseClock();
    this.#defaultTtl = options.defaultTtl ?? "10m";
    this.#defaultGrace = options.defaultGrace;
    this.#keys = new KeyMemo(options.maxKeyLength ?? 16_384);
    this.#maxValueBytes = options.maxValueBytes ?? 8 * 1024 * 1024;
    this.#maxTtl = maxTtlMs(options.maxTtl ?? "365d");
    this.#freezeValues = options.freezeValues ?? true;
    boundedTtl(this.#defaultTtl, "defaultTtl", this.#maxTtl);
    if (this.#defaultGrace !== undefined) boundedTtl(this.#defaultGrace, "defaultGrace", this.#maxTtl);
    const layerTimeout = toMs(options.layerTimeout ?? "1s", "layerTimeout");
    const sampleEvery = options.sampleEvery ?? 64;
    if (!Number.isInteger(sampleEvery) || sampleEvery < 1)
      throw new RagCacheError("E_CONFIG_INVALID", `sampleEvery must be a positive integer, got ${sampleEvery}`);
    this.#emitter = new Emitter(() => this.#walk?.observe(this.#emitter));
    this.#walk = new LayerWalk({
      layers: this.layers,
      defaultTimeout: layerTimeout,
      now: this.now,
      emitter: this.#emitter,
      backfill: (key, found, since) => this.#backfill(key, found, since),
      generation: () => this.#invalidations.generation,
      onError: (layer, operation, error, key) => this.#layerError(layer, operation, error, key),
      sampleEvery,
      protect: this.#freezeValues ? freezeValueOf : (entry) => entry,
    });
    this.layers.forEach((layer, index) =>
      layer.attach?.({
        index,
        now: this.now,
        emit: (event, payload) => this.#emitter.emit(event, payload),
        invalidateAbove: (invalidation) => this.#invalidateLayers(index, invalidation),
        track: (work) => this.#track(work),
      }),
    );
    if (options.log !== false) this.#teardowns.push(logEvents(this, options.log ?? jsonLogger()));
    this.ready = this.#setupPlugins(options.plugins ?? []);
    this.ready.catch(() => {});
  }

  /** The key a query maps to; pass it instead of the text to skip normalization on hot paths. */
  key(query: Query, options: KeyOptions = NO_OPTIONS): CacheKey {
    return typeof query === "string" ? this.#keys.key(query, options) : query;
  }

  /** The value of a fresh entry (or one in grace with `allowStale`), from the first layer that has it. */
  get<V = unknown>(query: Query, options: GetOptions = NO_OPTIONS): MaybePromise<V | undefined> {
    this.#assertOpen();
    const found = this.#walk.find(this.key(query, options));
    if (!(found instanceof Promise)) return this.#valueOf<V>(found, options.allowStale);
    return found.then((result) => this.#valueOf<V>(result, options.allowStale));
  }

  /** Write through every layer. Resolves when every layer has answered or timed out. */
  async set<V>(query: Query, value: V, options: SetOptions<V> = {}): Promise<void> {
    this.#assertOpen();
    const key = this.key(query, options);
    this.#overtakeLoad(key.id);
    await this.#store(key, value, options);
  }

  /** The cached value, or the loader's, run once for all concurrent callers of one key. */
  getOrSet<V>(query: Query, loader: Loader<V>, options: GetOrSetOptions<V> = NO_OPTIONS): MaybePromise<V> {
    this.#assertOpen();
    const key = this.key(query, options);
    const running = this.#inflight.get(key.id) as Promise<V> | undefined;
    if (running) return running;
    if (options.refresh) return this.#load(key, loader, options);
    const found = this.#sharedFind(key);
    if (!(found instanceof Promise) && found?.fresh) return found.entry.value as V;
    return Promise.resolve(found).then((result) =>
      this.#settle(key, result, loader, options).then((resolution) => resolution.value),
    );
  }

  /** `getOrSet` that also says how the value was obtained (for X-Cache headers and lookups). */
  async resolve<V>(query: Query, loader: Loader<V>, options: GetOrSetOptions<V> = NO_OPTIONS): Promise<Resolution<V>> {
    this.#assertOpen();
    const key = this.key(query, options);
    const running = this.#inflight.get(key.id) as Promise<V> | undefined;
    if (running) return { value: await running, status: "miss" };
    if (options.refresh) return { value: await this.#load(key, loader, options), status: "miss" };
    return this.#settle(key, await this.#sharedFind(key), loader, options);
  }

  /** Where a query would be answered from now, without loading: a fresh hit, or with `allowStale` one in grace. */
  lookup<V = unknown>(query: Query, options: GetOptions = NO_OPTIONS): MaybePromise<Resolution<V> | undefined> {
    this.#assertOpen();
    const found = this.#walk.find(this.key(query, options));
    if (!(found instanceof Promise)) return this.#resolutionOf<V>(found, options.allowStale);
    return found.then((result) => this.#resolutionOf<V>(result, options.allowStale));
  }

  async delete(query: Query, options: KeyOptions = {}): Promise<void> {
    this.#assertOpen();
    const key = this.key(query, options);
    this.#overtakeLoad(key.id);
    this.#newestWrites.record(key.id, nextStamp());
    const end = this.#invalidations.beginWrite(key.id);
    await Promise.resolve(this.#allLayers("delete", (layer) => layer.delete(key), key)).finally(end);
    this.#counts.deletes++;
    this.#emitter.emit("delete", { key });
  }

  async clear(namespace?: string): Promise<void> {
    this.#assertOpen();
    const end = this.#invalidations.begin({ type: "clear", namespace });
    await Promise.resolve(this.#allLayers("clear", (layer) => layer.clear(namespace))).finally(end);
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#assertOpen();
    if (!tags.length) return;
    const end = this.#invalidations.begin({ type: "tags", tags });
    await Promise.resolve(this.#allLayers("invalidateTags", (layer) => layer.invalidateTags(tags))).finally(end);
  }

  on<E extends keyof CacheEvents & string>(event: E, listener: Listener<E>): () => void {
    return this.#emitter.on(event, listener);
  }

  off<E extends keyof CacheEvents & string>(event: E, listener: Listener<E>): void {
    this.#emitter.off(event, listener);
  }

  emit<E extends keyof CacheEvents & string>(event: E, payload: CacheEvents[E]): void {
    this.#emitter.emit(event, payload);
  }

  stats(): CacheStats {
    const { hits, misses, layers } = this.#walk.counts();
    return {
      hits,
      misses,
      hitRate: hits + misses ? hits / (hits + misses) : 0,
      ...this.#counts,
      inflight: this.#inflight.size,
      layers: this.layers.map((layer, i): LayerStats => ({ name: layer.name, ...layers[i]!, ...layer.stats?.() })),
    };
  }

  /** Every layer's state (up / degraded / down) and the worst of them. */
  health(): Promise<ChainHealth> {
    return chainHealth(this.layers);
  }

  /** Register background work (back-fills, refreshes) that `close()` waits for. */
  track(work: Promise<unknown>): void {
    this.#track(work);
  }

  /** Stop plugins, wait for background work, close every layer. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.ready.catch(() => {});
    for (const teardown of this.#teardowns.splice(0).reverse()) await teardown();
    while (this.#background.size || this.#inflight.size) {
      await Promise.allSettled([...this.#background, ...this.#inflight.values()]);
    }
    this.#closed = true;
    await Promise.allSettled(this.layers.map((layer) => layer.close?.()));
  }

  /**
   * The walk for a get-or-load caller. While one waits for a slower layer, callers of the same key
   * share its lookup: a stampede costs one lookup per layer, and the first to settle a miss
   * registers the single load the others then join.
   */
  #sharedFind(key: CacheKey): MaybePromise<Found | undefined> {
    const pending = this.#lookups.get(key.id);
    if (pending) return pending;
    const found = this.#walk.find(key);
    if (found instanceof Promise) {
      this.#lookups.set(key.id, found);
      const forget = () => this.#lookups.delete(key.id);
      found.then(forget, forget);
    }
    return found;
  }

  #valueOf<V>(found: Found | undefined, allowStale = false): V | undefined {
    if (!found || (!found.fresh && !allowStale)) return undefined;
    return found.entry.value as V;
  }

  #resolutionOf<V>(found: Found | undefined, allowStale = false): Resolution<V> | undefined {
    if (!found || (!found.fresh && !allowStale)) return undefined;
    const { entry } = found;
    return {
      value: entry.value as V,
      status: found.fresh ? "hit" : "stale",
      layer: this.layers[found.index]!.name,
      similarity: entry.similarity,
      matchedText: entry.matchedText,
    };
  }

  async #settle<V>(
    key: CacheKey,
    found: Found | undefined,
    loader: Loader<V>,
    options: GetOrSetOptions<V>,
  ): Promise<Resolution<V>> {
    if (!found) return { value: await this.#load(key, loader, options), status: "miss" };
    const resolution = this.#resolutionOf<V>(found, true)!;
    if (found.fresh) return resolution;
    if (options.staleWhileRevalidate) {
      this.#emitter.emit("stale", { key, layer: resolution.layer!, reason: "revalidate" });
      this.#track(this.#load(key, loader, options, resolution.value).catch(() => {}));
      return resolution;
    }
    try {
      return { value: await this.#load(key, loader, options, resolution.value), status: "miss" };
    } catch (error) {
      this.#emitter.emit("stale", { key, layer: resolution.layer!, reason: "loader-error" });
      this.#emitter.emit("error", { layer: "loader", operation: "getOrSet", error: toError(error), key });
      return resolution;
    }
  }

  #load<V>(key: CacheKey, loader: Loader<V>, options: SetOptions<V>, stale?: V): Promise<V> {
    const running = this.#inflight.get(key.id) as Promise<V> | undefined;
    if (running) return running;
    this.#counts.loads++;
    const since = this.#invalidations.generation;
    const loading = (async () => {
      const value = await loader({ key, stale });
      // Nothing to cache: every waiter gets `undefined`, and the next call loads again.
      if (value === undefined) return value;
      // The stored form (frozen JSON), so that the first answer is the one every later hit gives.
      const entry = this.#entryOf(key, value, options);
      // A set, delete or invalidation of the key got in meanwhile: this value answers its callers, the newer write stays.
      if (!this.#overtakenLoads.has(key.id) && !this.#invalidations.covers(since, key, entry.tags)) await this.#write(key, entry);
      return entry.value;
    })();
    this.#inflight.set(key.id, loading);
    const done = () => {
      this.#inflight.delete(key.id);
      this.#overtakenLoads.delete(key.id);
    };
    loading.then(done, done);
    return loading;
  }

  #overtakeLoad(id: string): void {
    if (this.#inflight.has(id)) this.#overtakenLoads.add(id);
  }

  /** Writes through every layer; answers the value as stored. */
  async #store<V>(key: CacheKey, value: V, options: SetOptions<V>): Promise<V> {
    const entry = this.#entryOf(key, value, options);
    await this.#write(key, entry);
    return entry.value;
  }

  #entryOf<V>(key: CacheKey, value: V, options: SetOptions<V>): CacheEntry<V> {
    const tags = typeof options.tags === "function" ? options.tags(value) : options.tags;
    return createEntry(value, {
      digest: key.digest,
      ttl: options.ttl ?? this.#defaultTtl,
      grace: options.grace ?? this.#defaultGrace,
      tags,
      maxValueBytes: this.#maxValueBytes,
      maxTtl: this.#maxTtl,
      freeze: this.#freezeValues,
      now: this.now(),
    });
  }

  async #write(key: CacheKey, entry: CacheEntry): Promise<void> {
    this.#newestWrites.record(key.id, entry.stamp);
    const end = this.#invalidations.beginWrite(key.id);
    const written = await Promise.resolve(this.#allLayers("set", (layer) => layer.set(key, entry), key)).finally(end);
    this.#counts.sets++;
    this.#emitter.emit("set", { key, layers: written });
  }

  /**
   * Runs an operation on the first `upTo` layers at once; answers how many succeeded. Stays
   * synchronous when every layer answers synchronously (a back-fill into memory costs no promise).
   */
  #allLayers(
    operation: string,
    run: (layer: CacheLayer) => MaybePromise<void>,
    key?: CacheKey,
    upTo = this.layers.length,
  ): MaybePromise<number> {
    let succeeded = 0;
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < upTo; i++) {
      const layer = this.layers[i]!;
      let failed = false;
      const result = callLayer(
        layer,
        operation,
        () => run(layer),
        this.#walk.timeoutOf(i),
        (error) => {
          failed = true;
          this.#layerError(layer, operation, error, key);
        },
      );
      if (result instanceof Promise) (pending ??= []).push(result.then(() => void (failed || succeeded++)));
      else if (!failed) succeeded++;
    }
    return pending ? Promise.all(pending).then(() => succeeded) : succeeded;
  }

  /**
   * Copies a lower layer's hit into the faster layers, unless this chain wrote or deleted the key
   * since, or an invalidation covering it ran since the read started (generation `since`).
   */
  #backfill(key: CacheKey, found: Found, since: number): void {
    const entry: LayerHit = found.entry;
    if (keepUntil(entry) <= this.now() || this.#newestWrites.supersedes(key.id, entry.stamp)) return;
    if (this.#invalidations.covers(since, key, entry.tags)) return;
    const exact: CacheEntry = entry.similarity === undefined && entry.matchedText === undefined ? entry : answerTo(key, entry);
    const written = this.#allLayers("backfill", (layer) => layer.set(key, exact, IF_NEWER), key, found.index);
    if (written instanceof Promise) this.#track(written);
  }

  async #invalidateLayers(below: number, invalidation: Invalidation): Promise<void> {
    if (invalidation.type === "delete") for (const id of invalidation.ids) this.#overtakeLoad(id);
    const end = this.#invalidations.begin(invalidation);
    const run = (layer: CacheLayer): MaybePromise<void> => {
      if (invalidation.type === "tags") return layer.invalidateTags(invalidation.tags);
      if (invalidation.type === "clear") return layer.clear(invalidation.namespace);
      return Promise.all(invalidation.ids.map((id) => layer.delete(keyFromId(id)))).then(() => {});
    };
    await Promise.resolve(this.#allLayers(`remote ${invalidation.type}`, run, undefined, below)).finally(end);
    if (invalidation.type === "delete") {
      for (const id of invalidation.ids)
        for (const layer of this.layers.slice(0, below)) this.#emitter.emit("evict", { layer: layer.name, id, reason: "remote" });
    }
  }

  #layerError(layer: CacheLayer, operation: string, error: Error, key?: CacheKey): void {
    this.#counts.errors++;
    this.#emitter.emit("error", { layer: layer.name, operation, error, key });
  }

  #track(work: Promise<unknown>): void {
    this.#background.add(work);
    work.then(
      () => this.#background.delete(work),
      () => this.#background.delete(work),
    );
  }

  /**
   * Starts every plugin's setup at once, in order, from the constructor: a plugin is attached (usable)
   * without waiting for `ready`, which only waits for the asynchronous rest (files, tables).
   */
  async #setupPlugins(plugins: CachePlugin[]): Promise<void> {
    const started = plugins.map((plugin) => {
      try {
        return Promise.resolve(plugin.setup(this));
      } catch (error) {
        return Promise.reject(error);
      }
    });
    const settled = await Promise.allSettled(started);
    for (const result of settled) if (result.status === "fulfilled" && result.value) this.#teardowns.push(result.value);
    const failed = settled.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RagCacheError("E_CLOSED", "the cache is closed");
  }
}

function freezeValueOf(entry: LayerHit | undefined): LayerHit | undefined {
  if (entry) deepFreeze(entry.value);
  return entry;
}

/** A semantic match, stored above as the query's own answer: the query's digest, the match's stamp. */
function answerTo(key: CacheKey, { similarity: _similarity, matchedText: _matchedText, ...entry }: LayerHit): CacheEntry {
  return { ...entry, digest: key.digest };
}

/**
 * A cache over `layers`, fastest first; plugins (metrics, warming) are set up on it.
 * @example
 * ```ts
 * const cache = createCache({ layers: [memory(), redis({ url: "redis://localhost:6379" })], defaultTtl: "10m" });
 * ```
 */
export function createCache(options: CacheOptions): Cache {
  return new Cache(options);
}
