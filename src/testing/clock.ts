import { toMs } from "../duration.ts";
import type { Duration } from "../types.ts";

/** A clock that moves only when told: pass `clock.now` as `createCache({ now })` to test TTLs exactly. */
export function manualClock(start = 1_700_000_000_000) {
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
