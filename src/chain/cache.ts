import { jsonLogger, logEvents } from "../log.ts";
import { coarseClock } from "./clock.ts";
import { toMs } from "../duration.ts";
import { boundedTtl, maxTtlMs, validTags } from "../entry.ts";
import { RagCacheError } from "../errors.ts";
import { Emitter, type Listener } from "./events.ts";
import { chainHealth, type ChainHealth } from "./health.ts";
import { assertNamespace, type KeyOptions } from "../key.ts";
import { KeyMemo } from "./key-memo.ts";
import { Invalidations } from "./invalidations.ts";
import { deepFreeze } from "../value.ts";
import type {
  CacheHandle,
  CacheOptions,
  CacheStats,
  GetOptions,
  LayerStats,
  GetOrSetOptions,
  Loader,
  Query,
  Resolution,
  SetOptions,
} from "../options.ts";
import { Loads, resolutionOf } from "./loads.ts";
import { setupPlugins } from "./plugins.ts";
import { judgeWrong } from "./reject.ts";
import { LayerWalk } from "./walk.ts";
import { Writes, type ChainCounts } from "./writes.ts";
import type { CacheEvents, CacheKey, CacheLayer, LayerHit, MaybePromise } from "../types.ts";

/** Shared default, so a call without options allocates nothing. */
const NO_OPTIONS = Object.freeze({});

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
  #writes: Writes;
  #loads: Loads;
  #keys: KeyMemo;
  #invalidations = new Invalidations();
  #background = new Set<Promise<unknown>>();
  #teardowns: (() => MaybePromise<void>)[] = [];
  #closed = false;
  #counts: ChainCounts = { sets: 0, deletes: 0, loads: 0, errors: 0 };

  constructor(options: CacheOptions) {
    if (!options.layers?.length) throw new RagCacheError("E_CONFIG_INVALID", "a cache needs at least one layer");
    const names = options.layers.map((layer) => layer.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) throw new RagCacheError("E_CONFIG_INVALID", `two layers are named "${duplicate}"; give one a \`name\``);
    this.layers = options.layers;
    this.now = options.now ?? coarseClock();
    const defaultTtl = options.defaultTtl ?? "10m";
    const maxTtl = maxTtlMs(options.maxTtl ?? "365d");
    const freezeValues = options.freezeValues ?? true;
    boundedTtl(defaultTtl, "defaultTtl", maxTtl);
    if (options.defaultGrace !== undefined) boundedTtl(options.defaultGrace, "defaultGrace", maxTtl);
    this.#keys = new KeyMemo(options.maxKeyLength ?? 16_384);
    const layerTimeout = toMs(options.layerTimeout ?? "1s", "layerTimeout");
    const sampleEvery = options.sampleEvery ?? 64;
    if (!Number.isInteger(sampleEvery) || sampleEvery < 1)
      throw new RagCacheError("E_CONFIG_INVALID", `sampleEvery must be a positive integer, got ${sampleEvery}`);
    this.#emitter = new Emitter(() => this.#walk?.observe(this.#emitter));
    const onError = (layer: CacheLayer, operation: string, error: Error, key?: CacheKey) =>
      this.#layerError(layer, operation, error, key);
    const track = (work: Promise<unknown>) => this.#track(work);
    this.#walk = new LayerWalk({
      layers: this.layers,
      defaultTimeout: layerTimeout,
      now: this.now,
      emitter: this.#emitter,
      backfill: (key, found, since) => this.#writes.backfill(key, found, since),
      generation: () => this.#invalidations.generation,
      onError,
      sampleEvery,
      protect: freezeValues ? freezeValueOf : (entry) => entry,
    });
    this.#writes = new Writes({
      layers: this.layers,
      now: this.now,
      emitter: this.#emitter,
      invalidations: this.#invalidations,
      counts: this.#counts,
      timeoutOf: (index) => this.#walk.timeoutOf(index),
      onError,
      track,
      overtakeLoad: (id) => this.#loads.overtake(id),
      defaultTtl,
      defaultGrace: options.defaultGrace,
      maxValueBytes: options.maxValueBytes ?? 8 * 1024 * 1024,
      maxTtl,
      freezeValues,
    });
    this.#loads = new Loads({
      layers: this.layers,
      walk: this.#walk,
      writes: this.#writes,
      invalidations: this.#invalidations,
      emitter: this.#emitter,
      counts: this.#counts,
      track,
    });
    this.layers.forEach((layer, index) =>
      layer.attach?.({
        index,
        layers: this.layers,
        now: this.now,
        emit: (event, payload) => this.#emitter.emit(event, payload),
        invalidateAbove: (invalidation) => this.#writes.invalidateAbove(index, invalidation),
        track,
      }),
    );
    if (options.log !== false) this.#teardowns.push(logEvents(this, options.log ?? jsonLogger()));
    this.ready = setupPlugins(this, options.plugins ?? [], (teardown) => this.#teardowns.push(teardown));
    this.ready.catch(() => {});
  }

  /** The key a query maps to; pass it instead of the text to skip normalization on hot paths. */
  key(query: Query, options: KeyOptions = NO_OPTIONS): CacheKey {
    return typeof query === "string" ? this.#keys.key(query, options) : query;
  }

  /** The value of a fresh entry (or one in grace with `allowStale`), from the first layer that has it. */
  get<V = unknown>(query: Query, options: GetOptions = NO_OPTIONS): MaybePromise<V | undefined> {
    this.#assertOpen();
    return this.#walk.value(this.key(query, options), options.allowStale === true) as MaybePromise<V | undefined>;
  }

  /** Write through every layer. Resolves when every layer has answered or timed out. */
  set<V>(query: Query, value: V, options: SetOptions<V> = NO_OPTIONS): Promise<void> {
    try {
      this.#assertOpen();
      const key = this.key(query, options);
      this.#loads.overtake(key.id);
      return this.#writes.write(key, this.#writes.entryOf(key, value, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The cached value, or the loader's, run once for all concurrent callers of one key. */
  getOrSet<V>(query: Query, loader: Loader<V>, options: GetOrSetOptions<V> = NO_OPTIONS): MaybePromise<V> {
    this.#assertOpen();
    const key = this.key(query, options);
    const loads = this.#loads;
    const running = loads.running<V>(key.id);
    if (running) return running;
    if (options.refresh) return loads.load(key, loader, options);
    const found = loads.sharedFind(key);
    if (!(found instanceof Promise))
      return found?.fresh ? (found.entry.value as V) : loads.settledValue(key, found, loader, options);
    return found.then((result) => (result?.fresh ? (result.entry.value as V) : loads.settledValue(key, result, loader, options)));
  }

  /** `getOrSet` that also says how the value was obtained (for X-Cache headers and lookups). */
  async resolve<V>(query: Query, loader: Loader<V>, options: GetOrSetOptions<V> = NO_OPTIONS): Promise<Resolution<V>> {
    this.#assertOpen();
    const key = this.key(query, options);
    const running = this.#loads.running<V>(key.id);
    if (running) return { value: await running, status: "miss" };
    if (options.refresh) return { value: await this.#loads.load(key, loader, options), status: "miss" };
    return this.#loads.settle(key, await this.#loads.sharedFind(key), loader, options);
  }

  /** Where a query would be answered from now, without loading: a fresh hit, or with `allowStale` one in grace. */
  lookup<V = unknown>(query: Query, options: GetOptions = NO_OPTIONS): MaybePromise<Resolution<V> | undefined> {
    this.#assertOpen();
    const key = this.key(query, options);
    const found = this.#walk.find(key);
    if (!(found instanceof Promise)) return resolutionOf<V>(this.layers, key, found, options.allowStale);
    return found.then((result) => resolutionOf<V>(this.layers, key, result, options.allowStale));
  }

  async delete(query: Query, options: KeyOptions = {}): Promise<void> {
    this.#assertOpen();
    await this.#writes.delete(this.key(query, options));
  }

  /**
   * Correct a semantic hit of `lookup` or `resolve`: the layer that answered records the match as wrong
   * for that query (every instance sharing its store stops serving it), then the copies back-filled
   * under the query's key are deleted through the chain (a Redis layer tells the other processes).
   */
  async reject(resolution: Resolution): Promise<void> {
    this.#assertOpen();
    await this.delete(await judgeWrong(this.layers, resolution));
  }

  async clear(namespace?: string): Promise<void> {
    this.#assertOpen();
    // A namespace is checked as for keys: a layer may match it as a pattern (Redis SCAN), so "*" would clear every namespace.
    if (namespace !== undefined) assertNamespace(namespace);
    await this.#writes.invalidate("clear", { type: "clear", namespace }, (layer) => layer.clear(namespace));
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#assertOpen();
    if (!validTags(tags).length) return;
    await this.#writes.invalidate("invalidateTags", { type: "tags", tags }, (layer) => layer.invalidateTags(tags));
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
      inflight: this.#loads.size,
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
    while (this.#background.size || this.#loads.size) {
      await Promise.allSettled([...this.#background, ...this.#loads.all()]);
    }
    this.#closed = true;
    await Promise.allSettled(this.layers.map((layer) => layer.close?.()));
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

  #assertOpen(): void {
    if (this.#closed) throw new RagCacheError("E_CLOSED", "the cache is closed");
  }
}

function freezeValueOf(entry: LayerHit | undefined): LayerHit | undefined {
  if (entry) deepFreeze(entry.value);
  return entry;
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
