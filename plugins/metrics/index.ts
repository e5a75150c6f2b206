import { z } from "zod";
import { functionSchema, parseOptions, positiveDurationSchema } from "../../src/index.ts";
import { RagCacheError, toMs, type CacheHandle, type CachePlugin, type Duration } from "../../src/index.ts";
import { Collector } from "./collector.ts";
import { HitRateWindow, type LowHitRate } from "./hit-rate-window.ts";
import { renderPrometheus } from "./render.ts";
import { buildSnapshot, type MetricsSnapshot } from "./snapshot.ts";

export type { LayerMetrics, MetricsSnapshot } from "./snapshot.ts";
export type { LatencySummary } from "../../src/index.ts";
export type { WarmingMetrics } from "./collector.ts";
export type { LowHitRate } from "./hit-rate-window.ts";
export { Histogram } from "../../src/index.ts";

declare module "../../src/types.ts" {
  interface CacheEvents {
    /** The hit rate over the metrics window fell below the threshold (at most once per window). */
    "low-hit-rate": LowHitRate;
  }
}

/** The options that plain config can give (`{ "use": "metrics", "hitRateThreshold": 0.5 }`). */
export const configSchema = z.strictObject({
  /** Plugin name. Default "metrics". */
  name: z.string().min(1).default("metrics"),
  /** A window hit rate below this emits `low-hit-rate` and logs one line. Default 0.6. Env `RAG_CACHE_HIT_RATE_THRESHOLD`. */
  hitRateThreshold: z.number().min(0).max(1).default(0.6),
  /** Length of the sliding window the hit rate is measured over. Default "5m". */
  window: positiveDurationSchema.default("5m"),
  /** A window with fewer lookups than this never warns (too few to judge). Default 100. */
  minRequests: z.number().int().nonnegative().default(100),
});

/** Every option of `metrics()`: the config's, plus those only code can give. The one source of their types, defaults and validation. */
const optionsSchema = configSchema.extend({
  /** Where a plain warning line goes. Default none: the chain's logger reports the `low-hit-rate` event as a JSON line. */
  log: functionSchema<(line: string) => void>().default(() => () => {}),
});

/**
 * What `metrics()` takes: when a low hit rate warns.
 * @example
 * ```ts
 * metrics({ hitRateThreshold: 0.5, window: "10m", minRequests: 500, log: (line) => logger.warn(line) });
 * ```
 */
export type MetricsOptions = z.input<typeof optionsSchema>;

/** `RAG_CACHE_HIT_RATE_THRESHOLD=0.5` sets `hitRateThreshold` (besides `RAG_METRICS_HIT_RATE_THRESHOLD`). */
export const envAliases = { RAG_CACHE_HIT_RATE_THRESHOLD: "hitRateThreshold" };

/** The window moves in tenths, so a burst leaves it within a tenth of its length. */
const WINDOW_SLOTS = 10;

/**
 * The metrics plugin: set it up on a chain, then read its numbers as JSON or Prometheus text.
 * @example
 * ```ts
 * app.get("/metrics", (c) => c.text(m.prometheus()));
 * ```
 */
export interface MetricsPlugin extends CachePlugin {
  /** Every number as JSON: overall, per layer, pool, warming. */
  snapshot(): MetricsSnapshot;
  /** The same as Prometheus text exposition (format 0.0.4), for a `/metrics` route. */
  prometheus(): string;
  /** Advance the hit-rate window and warn if it is low; runs on its own every tenth of the window. */
  check(): LowHitRate | undefined;
}

/**
 * Observes the chain. Hits and misses come from the chain's own counters, latency from its sampled
 * `sample` event: nothing runs on an unsampled L1 hit. Rare events (evictions, errors, pool
 * exhaustion, warming progress) are counted as they come.
 * @example
 * ```ts
 * const m = metrics({ hitRateThreshold: 0.6 });
 * const cache = createCache({ layers: [memory(), redis()], plugins: [m] });
 * m.snapshot().layers[0].latency.p95; // ms, sampled
 * ```
 */
export function metrics(options: MetricsOptions = {}): MetricsPlugin {
  const {
    name,
    hitRateThreshold: threshold,
    window: windowOption,
    minRequests,
    log,
  } = parseOptions(optionsSchema, options, "metrics");
  const windowMs = toMs(windowOption, "window");
  const settings = { windowMs, threshold, minRequests };
  const collector = new Collector();
  const window = new HitRateWindow({ ...settings, slots: WINDOW_SLOTS });
  let cache: CacheHandle | undefined;

  const attached = (): CacheHandle => {
    if (cache) return cache;
    throw new RagCacheError("E_CONFIG_INVALID", "the plugin is not set up: pass it to createCache({ plugins: [...] })", {
      source: "metrics",
    });
  };

  const check = (): LowHitRate | undefined => {
    const chain = attached();
    const { hits, misses } = chain.stats();
    const low = window.update(chain.now(), hits, misses);
    if (low) {
      log(
        `ragcache: hit rate ${(low.hitRate * 100).toFixed(1)}% over the last ${low.requests} lookups (${low.windowMs / 1000}s) is below ${threshold * 100}%`,
      );
      chain.emit("low-hit-rate", low);
    }
    return low;
  };

  /** Reads only: a scrape or a /stats call never advances the window nor emits `low-hit-rate`. */
  const snapshot = (): MetricsSnapshot => buildSnapshot(attached(), collector, window, settings);
  const prometheus = () => renderPrometheus(snapshot(), collector);

  return {
    name,
    setup(chain) {
      cache = chain;
      const detach = collector.attach(chain);
      check();
      const timer = setInterval(check, windowMs / WINDOW_SLOTS) as unknown as { unref?: () => void };
      timer.unref?.();
      return () => {
        clearInterval(timer as unknown as number);
        detach();
      };
    },
    check,
    snapshot,
    prometheus,
    capabilities: { prometheus, stats: snapshot },
  };
}
