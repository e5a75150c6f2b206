import { RagCacheError, type CacheLayer, type Invalidation, type LayerContext, type MaybePromise } from "../../src/index.ts";
import { toError } from "../../src/index.ts";
import type { Breaker } from "./breaker.ts";
import { isCommandError } from "./connect.ts";
import { invalidationOf, invalidationsOf, keyOf, type Change, type Journal } from "./journal.ts";
import { replay } from "./replay.ts";
import type { RedisStore } from "./store.ts";

/** What a call gets while the breaker is open and there is no fallback to turn to. */
export function circuitOpen(layer: string, operation: string): RagCacheError {
  return new RagCacheError(
    "E_LAYER_FAILED",
    `${operation} skipped: Redis is unreachable (circuit open) and there is no fallback`,
    { source: layer },
  );
}

/** Lines a crash tore before their write was acknowledged: skipped by the replay, reported once. */
function tornLines(layer: string, count: number): RagCacheError {
  const message = `${count} journal line(s) unreadable (torn by a crash before being acknowledged); skipped`;
  return new RagCacheError("E_LAYER_FAILED", message, { source: layer });
}

export interface WriteConfig {
  name: string;
  breaker: Breaker;
  fallback?: CacheLayer;
  store: RedisStore;
  journal: Journal;
  now: () => number;
  emit: LayerContext["emit"];
  /** Tells the other processes (the invalidation bus), when there is one; undefined when nobody listens. */
  publish?: (invalidation: Invalidation) => Promise<unknown> | undefined;
  /** Background work that `close()` waits for: the publish after a write. */
  track: (work: Promise<unknown>) => void;
}

/**
 * Where writes go. Breaker closed: Redis, then the bus. Open: the fallback, journaled. Recovering:
 * writes wait until the journal is reconciled, so that no write can land in the fallback after its
 * key was copied to Redis (a stale Redis entry) or be lost while the fallback is emptied.
 */
export class WriteRouter {
  #config: WriteConfig;
  #pending = new Set<Promise<unknown>>();
  #recovering: Promise<void> | undefined;

  constructor(config: WriteConfig) {
    this.#config = config;
  }

  /** Sends one change where it belongs now: Redis (then the bus), or the fallback and the journal. */
  route(change: Change): Promise<void> {
    if (this.#recovering) {
      const retry = () => this.route(change);
      return this.#recovering.then(retry, retry);
    }
    const { breaker, fallback, emit, name } = this.#config;
    if (breaker.isOpen) return this.#degraded(change);
    return this.#toRedis(change).then(
      () => {
        breaker.success();
        // Published once the write has landed, but not awaited: the caller's write is done, and
        // waiting for PUBLISH would add a round trip to every set (0.6x raw ioredis on miss + set).
        const published = this.#config.publish?.(invalidationOf(change));
        if (published)
          this.#config.track(
            published.catch((error: unknown) =>
              emit("error", { layer: name, operation: "publish", error: toError(error), key: keyOf(change) }),
            ),
          );
      },
      (error: unknown) => {
        // Redis answered and refused this one write: the caller hears of it, the tier stays up.
        if (isCommandError(toError(error))) throw error;
        if (!fallback) {
          breaker.failure(toError(error));
          return this.#remember(change).then(() => Promise.reject(error));
        }
        emit("error", { layer: name, operation: change.operation, error: toError(error), key: keyOf(change) });
        breaker.open(`${change.operation} failed: ${toError(error).message}`);
        return this.#degraded(change);
      },
    );
  }

  /**
   * Called by the breaker once Redis answers again (and at start, for a journal left on disk): waits
   * for fallback writes in progress, replays the journal into Redis, empties the fallback and the
   * journal and closes the breaker, all before any queued write proceeds. A failure keeps the journal.
   */
  recover(close: () => void): Promise<void> {
    const { journal, store, fallback, now, publish, emit, name } = this.#config;
    this.#recovering = (async () => {
      while (this.#pending.size) await Promise.allSettled([...this.#pending]);
      const plan = await journal.plan();
      if (plan.unreadable) emit("error", { layer: name, operation: "replay", error: tornLines(name, plan.unreadable) });
      await replay(plan, store, now);
      await fallback?.clear();
      await journal.forget(plan);
      if (publish) for (const invalidation of invalidationsOf(plan)) await publish(invalidation)?.catch(() => {});
      close();
    })().finally(() => (this.#recovering = undefined));
    return this.#recovering;
  }

  /** The journal goes to disk (or memory) before the fallback: an acknowledged write is always journaled. */
  #degraded(change: Change): Promise<void> {
    const { fallback } = this.#config;
    const journaled = this.#remember(change);
    if (!fallback) return journaled.then(() => Promise.reject(circuitOpen(this.#config.name, change.operation)));
    const written = journaled.then(() => this.#toFallback(fallback, change));
    this.#pending.add(written);
    const forget = () => void this.#pending.delete(written);
    written.then(forget, forget);
    return written;
  }

  #toRedis(change: Change): Promise<unknown> {
    const { store } = this.#config;
    if (change.operation === "set") return store.set(change.key.id, change.entry, change.px, change.ifNewer);
    if (change.operation === "delete") return store.delete([change.key.id]);
    if (change.operation === "clear") return store.clear(change.namespace);
    return store.invalidateTags(change.tags);
  }

  #toFallback(fallback: CacheLayer, change: Change): MaybePromise<void> {
    if (change.operation === "set") return fallback.set(change.key, change.entry, { ifNewer: change.ifNewer });
    if (change.operation === "delete") return fallback.delete(change.key);
    if (change.operation === "clear") return fallback.clear(change.namespace);
    return fallback.invalidateTags(change.tags);
  }

  /**
   * Journals the change for recovery. Without a fallback a set was stored nowhere: Redis must forget
   * the key's older value instead.
   */
  #remember(change: Change): Promise<void> {
    const { journal, fallback } = this.#config;
    return journal.record(change.operation === "set" && !fallback ? { operation: "delete", key: change.key } : change);
  }
}
