import { toMs } from "../duration.ts";
import type { Duration } from "../types.ts";

/** A clock that moves only when told (see `manualClock`). */
export interface ManualClock {
  /** The current time in epoch ms; pass it as `createCache({ now: clock.now })`. */
  readonly now: () => number;
  /** Move the clock forward. */
  advance(by: Duration): void;
  /** Jump to a time (epoch ms). */
  set(time: number): void;
}

/**
 * A clock that moves only when told, so TTL and grace tests are exact and never sleep.
 * @example
 * ```ts
 * const clock = manualClock();
 * const cache = createCache({ layers: [memory()], now: clock.now });
 * await cache.set("q", "v", { ttl: "1m" });
 * clock.advance("61s"); // "q" has now expired
 * ```
 */
export function manualClock(start = 1_700_000_000_000): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance(by: Duration) {
      current += toMs(by);
    },
    set(time: number) {
      current = time;
    },
  };
}
