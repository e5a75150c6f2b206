import { toError } from "../errors.ts";
import type { GetOrSetOptions, Loader, Resolution } from "../options.ts";
import type { CacheKey, CacheLayer } from "../types.ts";
import type { Emitter } from "./events.ts";
import type { Invalidations } from "./invalidations.ts";
import type { Found, LayerWalk } from "./walk.ts";
import type { ChainCounts, Writes } from "./writes.ts";

/** What get-or-load callers share and where their loads' values go. */
export interface LoadsOptions {
  layers: readonly CacheLayer[];
  walk: LayerWalk;
  writes: Writes;
  invalidations: Invalidations;
  emitter: Emitter;
  counts: ChainCounts;
  track: (work: Promise<unknown>) => void;
}

/**
 * The get-or-load machinery: concurrent callers of one key share one lookup and one load; a load
 * that a set, delete or invalidation overtook answers its callers without storing its value; a
 * coordinating layer runs the load once among processes; an entry in grace is revalidated or
 * served when the loader fails.
 */
export class Loads {
  #o: LoadsOptions;
  #inflight = new Map<string, Promise<unknown>>();
  /** The first layer that coordinates loads across processes, if any. */
  #coordinator: CacheLayer | undefined;
  /** Keys whose running load a set or delete overtook: the load's value is returned, not stored. */
  #overtaken = new Set<string>();
  /** Lookups of get-or-load callers still waiting for a slower layer, shared by key. */
  #lookups = new Map<string, Promise<Found | undefined>>();

  constructor(options: LoadsOptions) {
    this.#o = options;
    this.#coordinator = options.layers.find((layer) => layer.coordinate);
  }

  /** The load of this key id that is running, if any. */
  running<V>(id: string): Promise<V> | undefined {
    return this.#inflight.get(id) as Promise<V> | undefined;
  }

  get size(): number {
    return this.#inflight.size;
  }

  /** Every running load, for `close()` to wait for. */
  all(): Promise<unknown>[] {
    return [...this.#inflight.values()];
  }

  /**
   * The walk for a get-or-load caller. While one waits for a slower layer, callers of the same key
   * share its lookup: a stampede costs one lookup per layer, and the first to settle a miss
   * registers the single load the others then join.
   */
  sharedFind(key: CacheKey): Found | undefined | Promise<Found | undefined> {
    const pending = this.#lookups.get(key.id);
    if (pending) return pending;
    const found = this.#o.walk.find(key);
    if (found instanceof Promise) {
      this.#lookups.set(key.id, found);
      const forget = () => this.#lookups.delete(key.id);
      found.then(forget, forget);
    }
    return found;
  }

  /** A miss or an entry in grace, settled as getOrSet answers it: the value only. */
  settledValue<V>(key: CacheKey, found: Found | undefined, loader: Loader<V>, options: GetOrSetOptions<V>): Promise<V> {
    // A miss is the load itself: no resolution record and no step after it.
    if (!found) return this.load(key, loader, options);
    return this.settle(key, found, loader, options).then((resolution) => resolution.value);
  }

  async settle<V>(
    key: CacheKey,
    found: Found | undefined,
    loader: Loader<V>,
    options: GetOrSetOptions<V>,
  ): Promise<Resolution<V>> {
    if (!found) return { value: await this.load(key, loader, options), status: "miss" };
    const resolution = resolutionOf<V>(this.#o.layers, key, found, true)!;
    if (found.fresh) return resolution;
    const { emitter } = this.#o;
    if (options.staleWhileRevalidate) {
      emitter.emit("stale", { key, layer: resolution.layer!, reason: "revalidate" });
      this.#o.track(this.load(key, loader, options, resolution.value).catch(() => {}));
      return resolution;
    }
    try {
      return { value: await this.load(key, loader, options, resolution.value), status: "miss" };
    } catch (error) {
      emitter.emit("stale", { key, layer: resolution.layer!, reason: "loader-error" });
      emitter.emit("error", { layer: "loader", operation: "getOrSet", error: toError(error), key });
      return resolution;
    }
  }

  load<V>(key: CacheKey, loader: Loader<V>, options: GetOrSetOptions<V>, stale?: V): Promise<V> {
    const running = this.running<V>(key.id);
    if (running) return running;
    this.#o.counts.loads++;
    const { writes, invalidations } = this.#o;
    const since = invalidations.generation;
    const loading = this.#coordinated(key, options, async () => {
      const value = await loader({ key, stale });
      // Nothing to cache: every waiter gets `undefined`, and the next call loads again.
      if (value === undefined) return value;
      // The stored form (frozen JSON), so that the first answer is the one every later hit gives.
      const entry = writes.entryOf(key, value, options);
      // A set, delete or invalidation of the key got in meanwhile: this value answers its callers, the newer write stays.
      if (!this.#overtaken.has(key.id) && !invalidations.covers(since, key, entry.tags)) await writes.write(key, entry);
      return entry.value;
    });
    this.#inflight.set(key.id, loading);
    const done = () => {
      this.#inflight.delete(key.id);
      this.#overtaken.delete(key.id);
    };
    loading.then(done, done);
    return loading;
  }

  /** A set or delete of this key id got in: a running load's value is not stored. */
  overtake(id: string): void {
    if (this.#inflight.has(id)) this.#overtaken.add(id);
  }

  /** The load, run once among the processes sharing a coordinating layer (see `CacheLayer.coordinate`). */
  #coordinated<V>(key: CacheKey, options: GetOrSetOptions<V>, load: () => Promise<V>): Promise<V> {
    const coordinator = this.#coordinator;
    if (!coordinator || options.distributed === false) return load();
    const read = (): Promise<V | undefined> =>
      Promise.resolve(this.#o.walk.find(key)).then((found) => (found?.fresh ? (found.entry.value as V) : undefined));
    return coordinator.coordinate!(key, { load, read, refresh: options.refresh === true });
  }
}

/** How a lookup's result answers: a fresh hit, or with `allowStale` one in grace; undefined otherwise. */
export function resolutionOf<V>(
  layers: readonly CacheLayer[],
  key: CacheKey,
  found: Found | undefined,
  allowStale = false,
): Resolution<V> | undefined {
  if (!found || (!found.fresh && !allowStale)) return undefined;
  const { entry } = found;
  return {
    value: entry.value as V,
    key,
    status: found.fresh ? "hit" : "stale",
    layer: layers[found.index]!.name,
    similarity: entry.similarity,
    matchedText: entry.matchedText,
  };
}
