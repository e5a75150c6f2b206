import type { Cache } from "../chain/cache.ts";
import type { CachePlugin } from "../options.ts";

/** Samples kept per layer; recent enough to follow a change, small enough to sort on every /stats. */
const WINDOW = 1_024;

export interface LatencyWindow {
  /** Milliseconds, over the most recent timed lookups answered by the layer (misses under "miss"). */
  of(layer: string): { samples: number; p50: number; p95: number };
  stop(): void;
}

/** Follows the chain's sampled lookups so /stats can show latencies with or without the metrics plugin. */
export function watchLatency(cache: Cache): LatencyWindow {
  const windows = new Map<string, { values: number[]; next: number }>();
  const stop = cache.on("sample", ({ layer, ms }) => {
    const name = layer ?? "miss";
    let window = windows.get(name);
    if (!window) windows.set(name, (window = { values: [], next: 0 }));
    window.values[window.next] = ms;
    window.next = (window.next + 1) % WINDOW;
  });
  return {
    of(layer) {
      const values = [...(windows.get(layer)?.values ?? [])].sort((a, b) => a - b);
      const at = (p: number) => (values.length ? values[Math.min(values.length - 1, Math.floor(p * values.length))]! : 0);
      return { samples: values.length, p50: round(at(0.5)), p95: round(at(0.95)) };
    },
    stop,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1_000) / 1_000;
}

type Snapshotting = CachePlugin & { snapshot(): unknown };

/** What GET /stats answers: the chain's counters, each layer's hit rate and latency, and the metrics plugin's snapshot. */
export function statsOf(cache: Cache, latency: LatencyWindow, plugins: readonly CachePlugin[]) {
  const stats = cache.stats();
  const metrics = plugins.find(
    (plugin): plugin is Snapshotting => plugin.name === "metrics" && typeof (plugin as Snapshotting).snapshot === "function",
  );
  return {
    ...stats,
    layers: stats.layers.map((layer) => {
      const hits = layer.hits ?? 0;
      const lookups = hits + (layer.misses ?? 0);
      return { ...layer, hitRate: lookups ? hits / lookups : 0, latencyMs: latency.of(layer.name) };
    }),
    missLatencyMs: latency.of("miss"),
    ...(metrics ? { metrics: metrics.snapshot() } : {}),
  };
}
