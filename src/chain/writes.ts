import { createEntry, forgetJson, keepUntil, nextStamp } from "../entry.ts";
import { toError } from "../errors.ts";
import { keyFromId } from "../key.ts";
import type { SetOptions } from "../options.ts";
import type { CacheEntry, CacheKey, CacheLayer, Duration, Invalidation, LayerHit, MaybePromise } from "../types.ts";
import type { Emitter } from "./events.ts";
import type { Invalidations } from "./invalidations.ts";
import { settle, type LayerErrorHandler } from "./layer-call.ts";
import { NewestWrites } from "./newest-writes.ts";
import type { Found } from "./walk.ts";

const IF_NEWER = Object.freeze({ ifNewer: true });

/** What the chain counts, shared by its parts and reported by `stats()`. */
export interface ChainCounts {
  sets: number;
  deletes: number;
  loads: number;
  errors: number;
}

/** What the write path writes to and whom it tells. */
export interface WritesOptions {
  layers: readonly CacheLayer[];
  now: () => number;
  emitter: Emitter;
  invalidations: Invalidations;
  counts: ChainCounts;
  /** Budget of one call to layer `index`, in ms. */
  timeoutOf: (index: number) => number;
  onError: LayerErrorHandler;
  track: (work: Promise<unknown>) => void;
  /** A write or delete of this key id overtakes any load of it that is running. */
  overtakeLoad: (id: string) => void;
  defaultTtl: Duration;
  defaultGrace?: Duration;
  maxValueBytes: number;
  maxTtl: number;
  freezeValues: boolean;
}

/**
 * The chain's write path: entries built as stored, written through every layer with their stamps
 * recorded, deletes, back-fills of lower hits into the faster layers, and invalidations heard from
 * another process applied to the layers above the one that heard them.
 */
export class Writes {
  #o: WritesOptions;
  #newestWrites = new NewestWrites();

  constructor(options: WritesOptions) {
    this.#o = options;
  }

  entryOf<V>(key: CacheKey, value: V, options: SetOptions<V>): CacheEntry<V> {
    const o = this.#o;
    const tags = typeof options.tags === "function" ? options.tags(value) : options.tags;
    return createEntry(value, {
      digest: key.digest,
      ttl: options.ttl ?? o.defaultTtl,
      grace: options.grace ?? o.defaultGrace,
      tags,
      maxValueBytes: o.maxValueBytes,
      maxTtl: o.maxTtl,
      freeze: o.freezeValues,
      now: o.now(),
    });
  }

  /**
   * Writes the entry through every layer. No async frame of its own: a write through memory + one
   * remote layer costs the remote call's promise and one step after it.
   */
  write(key: CacheKey, entry: CacheEntry): Promise<void> {
    const { invalidations } = this.#o;
    this.#newestWrites.record(key.id, entry.stamp);
    invalidations.startWrite(key.id);
    let written: MaybePromise<number>;
    try {
      written = this.allLayers("set", (layer) => layer.set(key, entry), key);
    } catch (error) {
      invalidations.endWrite(key.id);
      return Promise.reject(error);
    }
    if (written instanceof Promise) return written.then((layers) => this.#written(key, entry, layers));
    this.#written(key, entry, written);
    return Promise.resolve();
  }

  #written(key: CacheKey, entry: CacheEntry, layers: number): void {
    this.#o.invalidations.endWrite(key.id);
    // Every layer has its copy now; the entry may live on in memory for long, its JSON need not.
    forgetJson(entry);
    this.#o.counts.sets++;
    if (this.#o.emitter.has("set")) this.#o.emitter.emit("set", { key, layers });
  }

  async delete(key: CacheKey): Promise<void> {
    this.#o.overtakeLoad(key.id);
    this.#newestWrites.record(key.id, nextStamp());
    const end = this.#o.invalidations.beginWrite(key.id);
    try {
      await this.allLayers("delete", (layer) => layer.delete(key), key);
    } finally {
      end();
    }
    this.#o.counts.deletes++;
    this.#o.emitter.emit("delete", { key });
  }

  /** Runs an invalidation (tags, clear) through every layer, marked as running meanwhile. */
  async invalidate(operation: string, invalidation: Invalidation, run: (layer: CacheLayer) => MaybePromise<void>): Promise<void> {
    const end = this.#o.invalidations.begin(invalidation);
    try {
      await this.allLayers(operation, run);
    } finally {
      end();
    }
  }

  /**
   * Runs an operation on the first `upTo` layers at once; answers how many succeeded. Stays
   * synchronous when every layer answers synchronously (a back-fill into memory costs no promise),
   * and allocates a deadline only for the layers that answer with a promise (and one error handler for
   * the call, once one does).
   */
  allLayers(
    operation: string,
    run: (layer: CacheLayer) => MaybePromise<void>,
    key?: CacheKey,
    upTo = this.#o.layers.length,
  ): MaybePromise<number> {
    const { layers, timeoutOf, onError } = this.#o;
    let failures = 0;
    let failed: LayerErrorHandler | undefined;
    let pending: Promise<unknown> | Promise<unknown>[] | undefined;
    for (let i = 0; i < upTo; i++) {
      const layer = layers[i]!;
      let result: MaybePromise<void>;
      try {
        result = run(layer);
      } catch (error) {
        failures++;
        onError(layer, operation, toError(error), key);
        continue;
      }
      if (!(result instanceof Promise)) continue;
      failed ??= (failedLayer, failedOperation, error, failedKey) => {
        failures++;
        onError(failedLayer, failedOperation, error, failedKey);
      };
      const settled = settle(result, timeoutOf(i), layer, operation, failed, key);
      if (pending === undefined) pending = settled;
      else if (Array.isArray(pending)) pending.push(settled);
      else pending = [pending, settled];
    }
    if (pending === undefined) return upTo - failures;
    return (Array.isArray(pending) ? Promise.all(pending) : pending).then(() => upTo - failures);
  }

  /**
   * Copies a lower layer's hit into the faster layers, unless this chain wrote or deleted the key
   * since, or an invalidation covering it ran since the read started (generation `since`).
   */
  backfill(key: CacheKey, found: Found, since: number): void {
    const entry: LayerHit = found.entry;
    if (keepUntil(entry) <= this.#o.now() || this.#newestWrites.supersedes(key.id, entry.stamp)) return;
    if (this.#o.invalidations.covers(since, key, entry.tags)) return;
    const exact: CacheEntry = entry.similarity === undefined && entry.matchedText === undefined ? entry : answerTo(key, entry);
    const written = this.allLayers("backfill", (layer) => layer.set(key, exact, IF_NEWER), key, found.index);
    if (written instanceof Promise) this.#o.track(written);
  }

  /** An invalidation another process ran, heard by layer `below`: applied to the layers above it. */
  async invalidateAbove(below: number, invalidation: Invalidation): Promise<void> {
    if (invalidation.type === "delete") for (const id of invalidation.ids) this.#o.overtakeLoad(id);
    const end = this.#o.invalidations.begin(invalidation);
    const run = (layer: CacheLayer): MaybePromise<void> => {
      if (invalidation.type === "tags") return layer.invalidateTags(invalidation.tags);
      if (invalidation.type === "clear") return layer.clear(invalidation.namespace);
      return Promise.all(invalidation.ids.map((id) => layer.delete(keyFromId(id)))).then(() => {});
    };
    try {
      await this.allLayers(`remote ${invalidation.type}`, run, undefined, below);
    } finally {
      end();
    }
    if (invalidation.type === "delete") {
      for (const id of invalidation.ids)
        for (const layer of this.#o.layers.slice(0, below))
          this.#o.emitter.emit("evict", { layer: layer.name, id, reason: "remote" });
    }
  }
}

/** A semantic match, stored above as the query's own answer: the query's digest, the match's stamp. */
function answerTo(key: CacheKey, { similarity: _similarity, matchedText: _matchedText, ...entry }: LayerHit): CacheEntry {
  return { ...entry, digest: key.digest };
}
