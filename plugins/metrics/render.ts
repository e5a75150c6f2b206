import type { Collector } from "./collector.ts";
import { Exposition } from "./prometheus.ts";
import type { MetricsSnapshot } from "./snapshot.ts";

/** The snapshot as Prometheus text: `ragcache_*` families, per-layer series labelled `layer`. */
export function renderPrometheus(snapshot: MetricsSnapshot, collector: Collector): string {
  const out = new Exposition();
  const { overall } = snapshot;
  out.counter("ragcache_requests_total", "Lookups through the chain, by result.", overall.hits, { result: "hit" });
  out.counter("ragcache_requests_total", "Lookups through the chain, by result.", overall.misses, { result: "miss" });
  out.gauge("ragcache_hit_ratio_overall", "Hits over lookups since start.", overall.hitRate);
  out.gauge(
    "ragcache_window_hit_ratio",
    "Hits over lookups in the sliding window of the low hit-rate check.",
    overall.window.hitRate,
  );
  out.gauge("ragcache_window_requests", "Lookups in the sliding window of the low hit-rate check.", overall.window.requests);
  out.counter("ragcache_low_hit_rate_warnings_total", "Low hit-rate warnings emitted.", overall.window.lowHitRateWarnings);
  out.counter("ragcache_loads_total", "Loader runs (misses that computed a value).", overall.loads);
  out.gauge("ragcache_inflight_loads", "Loaders running now.", overall.inflight);
  out.histogram("ragcache_lookup_duration_seconds", "Sampled lookup latency, hit or miss, loader excluded.", collector.overall);
  for (const [reason, count] of Object.entries(snapshot.stale))
    out.counter("ragcache_stale_total", "Entries served in grace, by reason.", count, { reason });

  snapshot.layers.forEach((layer, index) => {
    const labels = { layer: layer.name };
    out.counter("ragcache_layer_hits_total", "Lookups answered by the layer.", layer.hits, labels);
    out.counter("ragcache_layer_misses_total", "Lookups the layer could not answer.", layer.misses, labels);
    out.gauge("ragcache_layer_hit_ratio", "Hits over lookups that reached the layer.", layer.hitRate, labels);
    out.counter("ragcache_layer_sets_total", "Writes that reached the layer.", layer.sets, labels);
    out.counter("ragcache_layer_deletes_total", "Deletes that reached the layer.", layer.deletes, labels);
    out.counter("ragcache_layer_backfills_total", "Entries copied up into the layer after a lower hit.", layer.backfills, labels);
    for (const [reason, count] of Object.entries(layer.evictions)) {
      out.counter("ragcache_layer_evictions_total", "Entries the layer dropped, by reason.", count, { ...labels, reason });
    }
    out.counter("ragcache_layer_errors_total", "Failed or timed-out layer operations.", layer.errors.total, labels);
    out.gauge(
      "ragcache_layer_degraded",
      "1 while the layer reports itself degraded.",
      layer.state === "degraded" ? 1 : 0,
      labels,
    );
    out.histogram(
      "ragcache_layer_hit_duration_seconds",
      "Sampled latency of lookups the layer answered.",
      collector.layers[index]!,
      labels,
    );
    for (const [field, value] of Object.entries(layer.pool ?? {})) {
      if (field === "exhaustedEvents")
        out.counter("ragcache_pool_exhausted_total", "Times every pooled connection stayed busy too long.", value, labels);
      else out.gauge(`ragcache_pool_${snake(field)}`, `Connection pool: ${field}.`, value, labels);
    }
  });
  for (const [source, errors] of Object.entries(snapshot.otherErrors)) {
    out.counter("ragcache_errors_total", "Errors outside the layers, by source.", errors.total, { source });
  }

  const warming = snapshot.warming;
  if (warming) {
    for (const [trigger, runs] of Object.entries(warming.runs))
      out.counter("ragcache_warming_runs_total", "Warming passes started, by trigger.", runs, { trigger });
    out.gauge("ragcache_warming_running", "1 while a warming pass runs.", warming.running ? 1 : 0);
    out.gauge("ragcache_warming_pass_items", "Items in the current or last pass.", warming.total);
    out.gauge("ragcache_warming_pass_items_done", "Items processed by the current or last pass.", warming.done);
    out.counter("ragcache_warming_items_total", "Items warmed over all passes, by result.", warming.warmed, { result: "ok" });
    out.counter("ragcache_warming_items_total", "Items warmed over all passes, by result.", warming.failures, {
      result: "failed",
    });
  }
  return out.toString();
}

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
