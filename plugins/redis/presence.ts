import type { Invalidation } from "../../src/index.ts";

/** How long an invalidation that was not published is kept for a process that joins meanwhile. */
const REPLAY_MS = 2_000;
/** More unpublished invalidations than this within REPLAY_MS are replayed as one clear. */
const REPLAY_MAX = 1_024;

/**
 * Whether other processes listen on the bus, so that a process alone publishes nothing. The count
 * of listeners comes from PUBSUB NUMSUB (refreshed by the bus); until it is known, and whenever a
 * message or a hello shows another process, publishing goes on. A process that joins says hello
 * after subscribing; the invalidations not published in the last moments are then published for
 * it, since its hello may arrive after a write it should have heard about.
 */
export class Presence {
  #others = Number.POSITIVE_INFINITY;
  #heardAt = Number.NEGATIVE_INFINITY;
  /** Unpublished invalidations in two generations of REPLAY_MS each: the older one is dropped whole, never filtered. */
  #recent: Kept[] = [];
  #older: Kept[] = [];
  #recentSince = performance.now();
  #overflowedAt = Number.NEGATIVE_INFINITY;

  /** How many other processes listen, as far as this one knows; undefined until a count came back. */
  get others(): number | undefined {
    return Number.isFinite(this.#others) ? this.#others : undefined;
  }

  /** No other process listens: an invalidation can stay unpublished (kept for replay). */
  get alone(): boolean {
    return this.#others === 0;
  }

  /**
   * Listeners other than this process, from a count asked for at `askedAt`; unknown (undefined) means
   * assume some. A count of none is stale when another process was heard since it was asked for.
   */
  counted(others: number | undefined, askedAt = performance.now()): void {
    if (others === 0 && this.#heardAt >= askedAt) return;
    this.#others = others === undefined ? Number.POSITIVE_INFINITY : Math.max(0, others);
  }

  /** A message from another process: it listens, whatever the last count said. */
  heard(): void {
    this.#heardAt = performance.now();
    if (this.#others === 0) this.#others = 1;
  }

  /** Keeps an invalidation that was not published, for a process that turns out to have joined meanwhile. */
  unpublished(invalidation: Invalidation): void {
    const at = performance.now();
    if (at - this.#recentSince > REPLAY_MS) {
      this.#older = this.#recent;
      this.#recent = [];
      this.#recentSince = at;
    }
    if (this.#recent.length >= REPLAY_MAX) {
      this.#recent = [];
      this.#overflowedAt = at;
    }
    this.#recent.push({ at, invalidation });
  }

  /** Another process said hello: from now on publish, and what it may have missed is answered. */
  joined(): Invalidation[] {
    this.heard();
    const since = performance.now() - REPLAY_MS;
    if (this.#overflowedAt >= since) return [{ type: "clear" }];
    return [...this.#older, ...this.#recent].filter((kept) => kept.at >= since).map((kept) => kept.invalidation);
  }
}

interface Kept {
  at: number;
  invalidation: Invalidation;
}
