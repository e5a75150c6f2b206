import type { Cache } from "../chain/cache.ts";
import { Histogram } from "../histogram.ts";
import type { CachePlugin } from "../options.ts";

/** Latencies are kept for one to two of these: recent enough to follow a change, e.g. Redis going down. */
const SPAN_MS = 60_000;

/** Milliseconds over the recent timed lookups answered by one layer; null while there is no sample. */
export interface RecentLatency {
  samples: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface LatencyWindow {
  /** Over the lookups answered by the layer in the last one to two minutes (misses under "miss"). */
  of(layer: string): RecentLatency;
  stop(): void;
}

/** Follows the chain's sampled lookups so /stats can show latencies with or without the metrics plugin. */
export function watchLatency(cache: Cache, spanMs = SPAN_MS): LatencyWindow {
  const slices = new Map<string, { older: Histogram; newer: Histogram }>();
  let sliceStart = Date.now();
  const rotate = () => {
    const now = Date.now();
    if (now - sliceStart < spanMs) return;
    const idle = now - sliceStart >= 2 * spanMs;
    for (const slice of slices.values()) [slice.older, slice.newer] = [idle ? new Histogram() : slice.newer, new Histogram()];
    sliceStart = now;
  };
  const stop = cache.on("sample", ({ layer, ms }) => {
    rotate();
    const name = layer ?? "miss";
    let slice = slices.get(name);
    if (!slice) slices.set(name, (slice = { older: new Histogram(), newer: new Histogram() }));
    slice.newer.record(ms);
  });
  return {
    of(layer) {
      rotate();
      const slice = slices.get(layer);
      const recent = slice ? new Histogram().add(slice.older).add(slice.newer) : new Histogram();
      const at = (p: number) => (recent.count ? round(recent.percentile(p)) : null);
      return { samples: recent.count, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
    },
    stop,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1_000) / 1_000;
}

/**
 * What GET /stats answers: the chain's counters, each layer's hit rate, latency and own numbers (pool,
 * breaker, fallback), each plugin's declared stats, and the jobs the dashboard can start. Reads only.
 */
export function statsOf(cache: Cache, latency: LatencyWindow, plugins: readonly CachePlugin[]) {
  const stats = cache.stats();
  const withStats = plugins.filter((plugin) => plugin.capabilities?.stats);
  return {
    ...stats,
    at: new Date().toISOString(),
    layers: stats.layers.map((layer) => {
      const hits = layer.hits ?? 0;
      const lookups = hits + (layer.misses ?? 0);
      return { ...layer, hitRate: lookups ? hits / lookups : null, latencyMs: latency.of(layer.name) };
    }),
    missLatencyMs: latency.of("miss"),
    plugins: Object.fromEntries(withStats.map((plugin) => [plugin.name, plugin.capabilities!.stats!()])),
    jobs: plugins.flatMap((plugin) =>
      plugin.capabilities?.job ? [{ plugin: plugin.name, route: plugin.capabilities.job.route }] : [],
    ),
  };
}
