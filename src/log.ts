import { isRagCacheError } from "./errors.ts";
import type { CacheEvents, CacheKey } from "./types.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** What a log line carries besides level and time: `kind` names the event, `layer` where it happened. */
export interface LogFields {
  kind: string;
  message: string;
  layer?: string;
  [field: string]: unknown;
}

/** Receives the chain's log lines; `jsonLogger()` is the default. */
export interface Logger {
  log(level: LogLevel, fields: LogFields): void;
}

export interface JsonLoggerOptions {
  /** Least level written: "debug", "info", "warn", "error" or "silent". Default env `RAG_LOG_LEVEL`, else "info". */
  level?: LogLevel | "silent";
  /** Where each line goes. Default: standard error (`console.error` where there is no process). */
  write?: (line: string) => void;
  /** Lines of one kind (kind + layer) per minute; the rest are counted and reported on the next line of that kind. Default 10. */
  perKindPerMinute?: number;
  /** Epoch-ms clock. Default `Date.now`. */
  now?: () => number;
}

/**
 * One JSON object per line: `level`, `time` (ISO), `kind`, `layer`, `message` and the event's fields,
 * rate-limited per kind and layer so a failing layer cannot flood the log.
 * @example
 * createCache({ layers: [memory()], log: jsonLogger({ level: "warn" }) });
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const level = options.level ?? logLevelOf(globalThis.process?.env?.RAG_LOG_LEVEL);
  const stderr = globalThis.process?.stderr;
  // Edge runtimes have no process.stderr; their console.error is the error log.
  const write =
    options.write ?? (stderr ? (line: string) => void stderr.write(`${line}\n`) : (line: string) => console.error(line));
  const limit = options.perKindPerMinute ?? 10;
  const now = options.now ?? Date.now;
  const kinds = new Map<string, { since: number; lines: number; suppressed: number }>();
  return {
    log(lineLevel, fields) {
      if (RANK[lineLevel] < RANK[level]) return;
      const kind = `${fields.kind}\u0000${fields.layer ?? ""}`;
      const at = now();
      let budget = kinds.get(kind);
      if (!budget || at - budget.since >= 60_000)
        kinds.set(kind, (budget = { since: at, lines: 0, suppressed: budget?.suppressed ?? 0 }));
      if (budget.lines >= limit) return void budget.suppressed++;
      budget.lines++;
      const suppressed = budget.suppressed ? { suppressed: budget.suppressed } : {};
      budget.suppressed = 0;
      write(JSON.stringify({ level: lineLevel, time: new Date(at).toISOString(), ...fields, ...suppressed }));
    },
  };
}

/** `RAG_LOG_LEVEL`'s value as a level; anything else is "info". */
export function logLevelOf(value: string | undefined): LogLevel | "silent" {
  const lower = value?.trim().toLowerCase();
  return lower && lower in RANK ? (lower as LogLevel | "silent") : "info";
}

interface Subscribable {
  on<E extends keyof CacheEvents & string>(event: E, listener: (payload: CacheEvents[E]) => void): () => void;
}

type Payload = Record<string, unknown>;

/** The chain's events worth an operator's attention, as log lines. */
const LINES: Record<string, (event: Payload) => [LogLevel, LogFields] | undefined> = {
  error: ({ layer, operation, error, key }) => {
    const failure = error as Error;
    if (isRagCacheError(failure, "E_INTEGRITY")) {
      const id = (key as CacheKey | undefined)?.id;
      return ["warn", { kind: "integrity-miss", layer: layer as string, operation, id, message: failure.message }];
    }
    const cause = (failure.cause as Error | undefined)?.message;
    return [
      "error",
      { kind: "layer-error", layer: layer as string, operation, message: failure.message, ...(cause ? { cause } : {}) },
    ];
  },
  degraded: ({ layer, reason }) => ["warn", { kind: "degraded", layer: layer as string, message: `degraded: ${reason}` }],
  recovered: ({ layer, downMs }) => [
    "info",
    { kind: "recovered", layer: layer as string, downMs, message: `recovered after ${downMs} ms` },
  ],
  "pool-exhausted": ({ layer, ...pool }) => [
    "warn",
    {
      kind: "pool-exhausted",
      layer: layer as string,
      ...pool,
      message: "every pooled connection is full; commands are queueing",
    },
  ],
  "low-hit-rate": ({ hitRate, threshold, requests, windowMs }) => [
    "warn",
    {
      kind: "low-hit-rate",
      hitRate,
      threshold,
      requests,
      windowMs,
      message: `hit rate ${((hitRate as number) * 100).toFixed(1)} % over the last ${requests} lookups is below ${(threshold as number) * 100} %`,
    },
  ],
  warming: ({ state, trigger, done, total, failed, error }) => {
    if (state === "progress") return undefined;
    const level: LogLevel = state === "failed" || (failed as number) > 0 ? "warn" : "info";
    const message =
      state === "failed" ? `warming pass failed: ${error}` : `warming pass ${state}: ${done}/${total} done, ${failed} failed`;
    return [level, { kind: `warming-${state}`, layer: "warming", trigger, done, total, failed, message }];
  },
};

/**
 * Logs the chain's events worth an operator's attention: layer errors with their cause, degraded and
 * recovered (the Redis breaker opening and closing), pool exhaustion, a low hit rate, warming start,
 * end and failure, integrity misses (an entry that answers another key, E_INTEGRITY).
 * Returns the unsubscribe function.
 */
export function logEvents(cache: Subscribable, logger: Logger): () => void {
  const stops = Object.entries(LINES).map(([event, line]) =>
    cache.on(event, (payload) => {
      const entry = line(payload as Payload);
      if (entry) logger.log(...entry);
    }),
  );
  return () => stops.forEach((stop) => stop());
}
