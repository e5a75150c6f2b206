import { RagCacheError } from "./errors.ts";
import type { Duration } from "./types.ts";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: SECOND,
  sec: SECOND,
  secs: SECOND,
  second: SECOND,
  seconds: SECOND,
  m: MINUTE,
  min: MINUTE,
  mins: MINUTE,
  minute: MINUTE,
  minutes: MINUTE,
  h: HOUR,
  hr: HOUR,
  hrs: HOUR,
  hour: HOUR,
  hours: HOUR,
  d: DAY,
  day: DAY,
  days: DAY,
  w: 7 * DAY,
  week: 7 * DAY,
  weeks: 7 * DAY,
};

/** One or more `<number><unit>` parts ("1h30m", "2 days", "1h 30m"), or a bare number of ms. */
const PART = /(\d+(?:\.\d+)?)\s*([a-z]*)\s*/gy;
const GRAMMAR = "a duration like 500ms, 90s, 10m, 1h30m, 2 days or 1w (or a number of ms)";

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
  const ms = parseDuration(duration);
  if (ms === undefined) throw new RagCacheError("E_INVALID_DURATION", `${what} "${duration}" is not ${GRAMMAR}`);
  return ms;
}

/**
 * Whether a value is a Duration `toMs` accepts (a non-negative number or a string like "30s").
 * @example
 * ```ts
 * isDuration("1h30m"); // true
 * ```
 */
export function isDuration(value: unknown): value is Duration {
  return (typeof value === "number" && value >= 0) || (typeof value === "string" && parseDuration(value) !== undefined);
}

function parseDuration(text: string): number | undefined {
  const input = text.trim().toLowerCase();
  if (input === "") return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let parts = 0;
  let match: RegExpExecArray | null;
  while ((match = PART.exec(input))) {
    const unit = match[2] || (parts === 0 && PART.lastIndex === input.length ? "ms" : "");
    const factor = UNIT_MS[unit];
    if (factor === undefined) return undefined;
    total += Number(match[1]) * factor;
    parts++;
    if (PART.lastIndex === input.length) return total;
  }
  return undefined;
}
