import { RagCacheError } from "./errors.ts";
import type { Duration } from "./types.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;

/**
 * Milliseconds of a Duration; `Infinity` stays `Infinity` (no expiry). Throws `E_INVALID_DURATION`
 * naming `what` for anything else.
 * @example
 * ```ts
 * toMs("30s"); // 30000
 * toMs(ttl, "ttl"); // E_INVALID_DURATION: ttl "soon" is not a duration …
 * ```
 */
export function toMs(duration: Duration, what = "duration"): number {
  if (typeof duration === "number") {
    if (Number.isNaN(duration) || duration < 0) {
      throw new RagCacheError("E_INVALID_DURATION", `${what} must be a non-negative number of ms, got ${duration}`);
    }
    return duration;
  }
  const match = DURATION.exec(duration);
  if (!match) {
    throw new RagCacheError("E_INVALID_DURATION", `${what} "${duration}" is not a duration like 500ms, 30s, 10m, 1h or 1d`);
  }
  return Number(match[1]) * UNIT_MS[match[2] ?? "ms"]!;
}

/**
 * Whether a value is a Duration `toMs` accepts (a non-negative number or a string like "30s").
 * @example
 * ```ts
 * isDuration("10m"); // true
 * ```
 */
export function isDuration(value: unknown): value is Duration {
  return (typeof value === "number" && value >= 0) || (typeof value === "string" && DURATION.test(value));
}
