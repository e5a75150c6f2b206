import { RagCacheError, toError } from "../errors.ts";
import type { Emitter } from "./events.ts";
import { settle, type LayerErrorHandler } from "./layer-call.ts";
import type { CacheKey, CacheLayer, LayerHit, MaybePromise } from "../types.ts";

/** Where a lookup ended: the entry, the layer index it came from, and whether it is still fresh. */
export interface Found {
  entry: LayerHit;
  index: number;
  fresh: boolean;
}

/** What a `LayerWalk` walks and whom it tells. */
export interface LayerWalkOptions {
  /** The chain's layers, fastest first. */
  layers: readonly CacheLayer[];
  /** Budget of one call for a layer without its own `timeout`, in ms. */
  defaultTimeout: number;
  now: () => number;
  emitter: Emitter;
  /** Copy an entry found in a lower layer into the layers above it; `since` is `generation()` when that read started. */
  backfill: (key: CacheKey, found: Found, since: number) => void;
  /** The chain's invalidation generation, noted when a read of a lower layer starts. */
  generation: () => number;
  /** A layer threw or timed out: the chain reports it and counts a miss. */
  onError: LayerErrorHandler;
  /** Time 1 in this many lookups for `sample` listeners. */
  sampleEvery: number;
  /**
   * Makes the value of an entry that a lower layer or an asynchronous layer answered safe to share
   * (frozen), before it is served or back-filled. The first layer's synchronous answers hold
   * entries the chain made, already safe.
   */
  protect: (entry: LayerHit | undefined) => LayerHit | undefined;
}

/** `started` of a lookup that is not timed. */
const UNTIMED = -1;

/**
 * What a walk answers, applied where it ends: the `Found` record (`find`), or the value `get` serves.
 * Applied inside the walk's last step, it costs an L2 hit no promise step of its own.
 */
type Finish<R> = (found: Found | undefined) => R;
const FOUND: Finish<Found | undefined> = (found) => found;
const FRESH_VALUE: Finish<unknown> = (found) => (found?.fresh ? found.entry.value : undefined);
const ANY_VALUE: Finish<unknown> = (found) => found?.entry.value;

/** `answered` of a walk whose first layer is still to be asked. */
const UNASKED = Symbol("unasked");

/**
 * Walks the layers fastest first. It stays synchronous while layers answer synchronously, so an L1
 * hit costs one function call and no microtask; the first promise switches the rest of the walk to
 * async. An entry in grace is remembered while lower layers are asked for a fresh one.
 */
export class LayerWalk {
  #layers: readonly CacheLayer[];
  #timeouts: number[];
  #now: () => number;
  #emitter: Emitter;
  #backfill: LayerWalkOptions["backfill"];
  #onError: LayerWalkOptions["onError"];
  #protect: LayerWalkOptions["protect"];
  #generation: LayerWalkOptions["generation"];
  #timed = false;
  /** Time 1 in this many lookups for `sample` listeners; 0 while nobody listens. */
  #sampleEvery = 0;
  /** Lookups until the next timed one: 1 while every lookup is timed, Infinity while none is. */
  #untilTimed = Number.POSITIVE_INFINITY;
  /** While every lookup is timed (hit/miss listeners), `sample` listeners still hear 1 in `sampleEvery`. */
  #untilSample = 1;
  #samplingRate: number;
  #hits: number[];
  #layerMisses: number[];
  #misses = 0;

  constructor({ layers, defaultTimeout, now, emitter, backfill, onError, sampleEvery, protect, generation }: LayerWalkOptions) {
    this.#protect = protect;
    this.#generation = generation;
    this.#samplingRate = sampleEvery;
    this.#layers = layers;
    this.#timeouts = layers.map((layer) => layer.timeout ?? defaultTimeout);
    this.#now = now;
    this.#emitter = emitter;
    this.#backfill = backfill;
    this.#onError = onError;
    this.#hits = layers.map(() => 0);
    this.#layerMisses = layers.map(() => 0);
  }

  /**
   * Latency is measured only while someone listens for it: every lookup for `hit`/`miss`/`layer-miss`
   * listeners, 1 in `sampleEvery` for `sample` listeners (a clock read costs more than an L1 hit).
   */
  observe(emitter: Emitter): void {
    this.#timed = emitter.has("hit") || emitter.has("miss") || emitter.has("layer-miss");
    this.#sampleEvery = emitter.has("sample") ? this.#samplingRate : 0;
    // Only ever brought closer: listeners coming and going (any event) must not keep postponing the next sample.
    this.#untilTimed = Math.min(this.#untilTimed, this.#timingInterval());
  }

  #timingInterval(): number {
    return this.#timed ? 1 : this.#sampleEvery || Number.POSITIVE_INFINITY;
  }

  timeoutOf(index: number): number {
    return this.#timeouts[index]!;
  }

  counts() {
    const hits = this.#hits.reduce((a, b) => a + b, 0);
    return {
      hits,
      misses: this.#misses,
      layers: this.#layers.map((_, i) => ({ hits: this.#hits[i]!, misses: this.#layerMisses[i]! })),
    };
  }

  find(key: CacheKey): MaybePromise<Found | undefined> {
    return this.#from(key, 0, undefined, this.#timedDue() ? performance.now() : UNTIMED, FOUND, UNASKED);
  }

  /**
   * The value `get` serves. An L1 hit (the first layer answers synchronously with a fresh entry of the
   * key, and this lookup is not timed) is counted and served as it stands: no loop, no `Found` record,
   * which makes it a third faster. Anything else walks on from the first layer's answer.
   */
  value(key: CacheKey, allowStale: boolean): MaybePromise<unknown> {
    if (this.#timedDue()) return this.#from(key, 0, undefined, performance.now(), allowStale ? ANY_VALUE : FRESH_VALUE, UNASKED);
    const answer = this.#ask(this.#layers[0]!, key);
    if (
      answer !== undefined &&
      !(answer instanceof Promise) &&
      key.digest &&
      answer.digest === key.digest &&
      answer.expiresAt > this.#now()
    ) {
      this.#hits[0]!++;
      return answer.value;
    }
    return this.#from(key, 0, undefined, UNTIMED, allowStale ? ANY_VALUE : FRESH_VALUE, answer);
  }

  /** One countdown for both reasons to time a lookup, so an untimed hit pays one decrement and one compare. */
  #timedDue(): boolean {
    if (--this.#untilTimed > 0) return false;
    this.#untilTimed = this.#timingInterval();
    return true;
  }

  #sampleDue(): boolean {
    if (--this.#untilSample > 0) return false;
    this.#untilSample = this.#sampleEvery;
    return true;
  }

  /** A timed lookup ended: a hit in layer `index`, or a miss (-1). */
  #timedEnd(key: CacheKey, index: number, started: number, entry?: LayerHit): void {
    const ms = performance.now() - started;
    const layer = this.#layers[index]?.name;
    if (this.#timed) {
      if (entry)
        this.#emitter.emit("hit", {
          key,
          layer: layer!,
          layerIndex: index,
          ms,
          similarity: entry.similarity,
          matchedText: entry.matchedText,
        });
      else this.#emitter.emit("miss", { key, ms });
    }
    if (this.#sampleEvery !== 0 && (!this.#timed || this.#sampleDue()))
      this.#emitter.emit("sample", { key, layer, layerIndex: index, ms });
  }

  /** Walks from layer `first` on; `answered` is that layer's answer when the caller asked it already (untimed). */
  #from<R>(
    key: CacheKey,
    first: number,
    stale: Found | undefined,
    started: number,
    finish: Finish<R>,
    // No default: an L1 miss passes `undefined`, which a default would turn into "ask again".
    answered: MaybePromise<LayerHit | undefined> | typeof UNASKED,
  ): MaybePromise<R> {
    for (let i = first; i < this.#layers.length; i++) {
      const layer = this.#layers[i]!;
      const layerStarted = this.#timed && started !== UNTIMED ? performance.now() : UNTIMED;
      const since = i === 0 ? 0 : this.#generation();
      const answer = answered !== UNASKED && i === first ? answered : this.#ask(layer, key);
      if (answer instanceof Promise) {
        const index = i;
        return settle(answer, this.#timeouts[i]!, layer, "get", this.#onError, key).then((entry) => {
          const result = this.#consider(key, index, this.#protect(entry), stale, started, layerStarted, since);
          return result?.fresh ? finish(result) : this.#from(key, index + 1, result ?? stale, started, finish, UNASKED);
        });
      }
      const result = this.#consider(key, i, i === 0 ? answer : this.#protect(answer), stale, started, layerStarted, since);
      if (result?.fresh) return finish(result);
      stale = result ?? stale;
    }
    return finish(this.#miss(key, stale, started));
  }

  /** A layer's answer; one that throws is reported and is a miss. */
  #ask(layer: CacheLayer, key: CacheKey): MaybePromise<LayerHit | undefined> {
    try {
      return layer.get(key);
    } catch (error) {
      this.#onError(layer, "get", toError(error), key);
      return undefined;
    }
  }

  /**
   * A fresh hit (counted, back-filled), the stale candidate to keep, or undefined to go on. An exact
   * layer's entry must carry the query's digest: one stored for another key (a hash collision, bytes
   * copied between keys, an older format) is a miss and an E_INTEGRITY error, and a key without a
   * digest (`keyFromId`) reads nothing. Semantic layers answer
   * with other keys' entries by design and check what they match themselves.
   */
  #consider(
    key: CacheKey,
    index: number,
    entry: LayerHit | undefined,
    stale: Found | undefined,
    started: number,
    layerStarted: number,
    since: number,
  ): Found | undefined {
    if (entry !== undefined && (entry.digest !== key.digest || !key.digest) && !this.#layers[index]!.semantic) {
      this.#onError(this.#layers[index]!, "get", foreignEntry(this.#layers[index]!.name), key);
      entry = undefined;
    }
    if (entry !== undefined) {
      const now = this.#now();
      if (entry.expiresAt > now) {
        const found: Found = { entry, index, fresh: true };
        this.#hits[index]!++;
        if (started !== UNTIMED) this.#timedEnd(key, index, started, entry);
        if (index > 0) this.#backfill(key, found, since);
        return found;
      }
      if (!stale && entry.graceUntil !== undefined && entry.graceUntil > now) {
        this.#layerMiss(key, index, layerStarted);
        return { entry, index, fresh: false };
      }
    }
    this.#layerMiss(key, index, layerStarted);
    return undefined;
  }

  #layerMiss(key: CacheKey, index: number, layerStarted: number): void {
    this.#layerMisses[index]!++;
    if (layerStarted !== UNTIMED)
      this.#emitter.emit("layer-miss", {
        key,
        layer: this.#layers[index]!.name,
        layerIndex: index,
        ms: performance.now() - layerStarted,
      });
  }

  #miss(key: CacheKey, stale: Found | undefined, started: number): Found | undefined {
    this.#misses++;
    if (started !== UNTIMED) this.#timedEnd(key, -1, started);
    return stale;
  }
}

function foreignEntry(layer: string): RagCacheError {
  return new RagCacheError("E_INTEGRITY", "the stored entry answers another key (digest mismatch); treated as a miss", {
    source: layer,
  });
}
