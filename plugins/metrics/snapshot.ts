import type { CacheHandle, CacheStats } from "../../src/index.ts";
import { poolOf, type Collector, type LayerErrors, type WarmingMetrics } from "./collector.ts";
import type { LatencySummary } from "../../src/index.ts";
import type { HitRateWindow } from "./hit-rate-window.ts";

/** One layer's row in a metrics snapshot: its counters, sampled latency, state, pool and own stats. */
export interface LayerMetrics {
  name: string;
  /** Lookups this layer answered, and those it did not (they went on to the next layer). */
  hits: number;
  misses: number;
  hitRate: number;
  /** Writes that reached this layer: chain sets minus this layer's failed sets. */
  sets: number;
  deletes: number;
  /** Entries copied up into this layer after a hit lower down (approximate: expired entries are skipped). */
  backfills: number;
  evictions: Record<string, number>;
  errors: LayerErrors;
  /** Lookups this layer answered, sampled (1 in the chain's `sampleEvery`), in ms. */
  latency: LatencySummary;
  state: "up" | "degraded";
  /** Connection pool numbers when the layer has a pool (redis), plus how often it was exhausted. */
  pool?: Record<string, number>;
  /** The layer's own `stats()`, as it reports them. */
  stats: Record<string, unknown>;
}

/** What `metrics().snapshot()` answers: the chain overall, per layer, and warming progress. */
export interface MetricsSnapshot {
  at: string;
  /** The chain's own counters (`cache.stats()` without its layer rows), plus what the plugin measured. */
  overall: Omit<CacheStats, "layers"> & {
    requests: number;
    /** Every sampled lookup, hit or miss (a miss ends before its loader runs). */
    latency: LatencySummary;
    missLatency: LatencySummary;
    window: { ms: number; requests: number; hitRate: number; threshold: number; minRequests: number; lowHitRateWarnings: number };
  };
  layers: LayerMetrics[];
  /** Errors of sources outside the layers: the loader, event listeners, the warming plugin. */
  otherErrors: Record<string, LayerErrors>;
  stale: Record<string, number>;
  warming?: WarmingMetrics;
}

export interface WindowSettings {
  windowMs: number;
  threshold: number;
  minRequests: number;
}

export function buildSnapshot(
  cache: CacheHandle,
  collector: Collector,
  window: HitRateWindow,
  settings: WindowSettings,
): MetricsSnapshot {
  const stats = cache.stats();
  const layerStats = stats.layers as (Record<string, unknown> & { name: string; hits: number; misses: number })[];
  const names = new Set(layerStats.map((layer) => layer.name));
  const layers = layerStats.map((raw, index): LayerMetrics => {
    const { name, hits, misses, ...own } = raw;
    const backfills =
      layerStats.slice(index + 1).reduce((sum, lower) => sum + lower.hits, 0) - collector.errorCount(name, "backfill");
    const pool = poolOf(own);
    const exhausted = collector.poolExhausted.get(name);
    return {
      name,
      hits,
      misses,
      hitRate: rate(hits, misses),
      sets: Math.max(0, stats.sets - collector.errorCount(name, "set")),
      deletes: Math.max(0, stats.deletes - collector.errorCount(name, "delete")),
      backfills: Math.max(0, backfills),
      evictions: { ...collector.evictions.get(name) },
      errors: collector.errors.get(name) ?? { total: 0, byOperation: {} },
      latency: collector.latencyOf(index),
      state: collector.degraded.has(name) || own.state === "degraded" ? "degraded" : "up",
      ...(pool || exhausted ? { pool: { ...pool, exhaustedEvents: exhausted ?? 0 } } : {}),
      stats: own,
    };
  });
  const otherErrors = Object.fromEntries([...collector.errors].filter(([source]) => !names.has(source)));
  return {
    at: new Date(cache.now()).toISOString(),
    overall: {
      hits: stats.hits,
      misses: stats.misses,
      requests: stats.hits + stats.misses,
      hitRate: stats.hitRate,
      sets: stats.sets,
      deletes: stats.deletes,
      loads: stats.loads,
      errors: stats.errors,
      inflight: stats.inflight,
      latency: collector.overall.summary(),
      missLatency: collector.misses.summary(),
      window: {
        ms: settings.windowMs,
        ...window.view(cache.now(), stats.hits, stats.misses),
        threshold: settings.threshold,
        minRequests: settings.minRequests,
        lowHitRateWarnings: window.warnings,
      },
    },
    layers,
    otherErrors,
    stale: { ...collector.stale },
    ...(collector.warming ? { warming: { ...collector.warming, runs: { ...collector.warming.runs } } } : {}),
  };
}

function rate(hits: number, misses: number): number {
  return hits + misses ? hits / (hits + misses) : 0;
}
