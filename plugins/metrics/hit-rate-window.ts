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
  current = { requests: 0, hitRate: 0 };

  constructor(options: WindowOptions) {
    this.#options = options;
    this.#slotMs = options.windowMs / options.slots;
  }

  /** Feed the cumulative counters; returns a warning at most once per window, never below `minRequests`. */
  update(now: number, hits: number, misses: number): LowHitRate | undefined {
    const last = this.#marks.at(-1);
    if (!last || now - last.at >= this.#slotMs) this.#marks.push({ at: now, hits, misses });
    while (this.#marks.length > 1 && now - this.#marks[1]!.at >= this.#options.windowMs) this.#marks.shift();
    const base = this.#marks[0]!;
    const windowHits = hits - base.hits;
    const requests = windowHits + misses - base.misses;
    const hitRate = requests ? windowHits / requests : 0;
    this.current = { requests, hitRate };
    const { threshold, minRequests, windowMs } = this.#options;
    if (requests < minRequests || hitRate >= threshold || now - this.#warnedAt < windowMs) return undefined;
    this.#warnedAt = now;
    this.warnings++;
    return { hitRate, threshold, requests, windowMs };
  }
}
