/** What the `low-hit-rate` event carries. */
export interface LowHitRate {
  hitRate: number;
  threshold: number;
  /** Lookups (hits + misses) in the window. */
  requests: number;
  windowMs: number;
}

export interface WindowOptions {
  windowMs: number;
  threshold: number;
  minRequests: number;
  /** The window moves in this many steps. */
  slots: number;
}

interface Mark {
  at: number;
  hits: number;
  misses: number;
}

/**
 * The chain's hit rate over a sliding window, from its cumulative counters (read at most once per
 * slot, so the hot path pays nothing). The window's numbers are "now" minus the newest mark at least
 * one window old; marks are kept one per slot, so memory is bounded by `slots`.
 */
export class HitRateWindow {
  #options: WindowOptions;
  #slotMs: number;
  #marks: Mark[] = [];
  #warnedAt = -Infinity;
  warnings = 0;

  constructor(options: WindowOptions) {
    this.#options = options;
    this.#slotMs = options.windowMs / options.slots;
  }

  /** The window's numbers as of `now`, without moving it or warning. */
  view(now: number, hits: number, misses: number): { requests: number; hitRate: number } {
    let base = 0;
    while (base + 1 < this.#marks.length && now - this.#marks[base + 1]!.at >= this.#options.windowMs) base++;
    const mark = this.#marks[base] ?? { hits, misses };
    const requests = hits - mark.hits + misses - mark.misses;
    return { requests, hitRate: requests ? (hits - mark.hits) / requests : 0 };
  }

  /** Feed the cumulative counters; returns a warning at most once per window, never below `minRequests`. */
  update(now: number, hits: number, misses: number): LowHitRate | undefined {
    const last = this.#marks.at(-1);
    if (!last || now - last.at >= this.#slotMs) this.#marks.push({ at: now, hits, misses });
    while (this.#marks.length > 1 && now - this.#marks[1]!.at >= this.#options.windowMs) this.#marks.shift();
    const { requests, hitRate } = this.view(now, hits, misses);
    const { threshold, minRequests, windowMs } = this.#options;
    if (requests < minRequests || hitRate >= threshold || now - this.#warnedAt < windowMs) return undefined;
    this.#warnedAt = now;
    this.warnings++;
    return { hitRate, threshold, requests, windowMs };
  }
}
