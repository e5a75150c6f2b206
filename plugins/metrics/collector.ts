import type { CacheHandle, CacheEvents } from "../../src/index.ts";
import { Histogram, type LatencySummary } from "../../src/index.ts";

/** Numbers a pooled layer (redis) reports in its `stats()`, read at snapshot time. */
const POOL_FIELDS = [
  "connections",
  "open",
  "busy",
  "idle",
  "inFlight",
  "inflight",
  "queued",
  "waiting",
  "exhausted",
  "maxConnections",
];

/** The warming plugin's progress as the metrics plugin counts it from its events. */
export interface WarmingMetrics {
  /** Passes started, by trigger ("schedule", "low-hit-rate", "manual" …). */
  runs: Record<string, number>;
  running: boolean;
  done: number;
  total: number;
  failed: number;
  /** Items warmed and failed over all passes. */
  warmed: number;
  failures: number;
  lastState?: string;
  lastStartedAt?: number;
  lastFinishedAt?: number;
}

export interface LayerErrors {
  total: number;
  byOperation: Record<string, number>;
}

/** What the event listeners accumulate; the chain's own counters are read from `cache.stats()`. */
export class Collector {
  readonly overall = new Histogram();
  readonly misses = new Histogram();
  readonly layers: Histogram[] = [];
  readonly evictions = new Map<string, Record<string, number>>();
  readonly errors = new Map<string, LayerErrors>();
  readonly poolExhausted = new Map<string, number>();
  readonly degraded = new Set<string>();
  readonly stale: Record<string, number> = {};
  warming: WarmingMetrics | undefined;

  attach(cache: CacheHandle): () => void {
    cache.layers.forEach((_, i) => (this.layers[i] = new Histogram()));
    const off = [
      cache.on("sample", (sample) => {
        this.overall.record(sample.ms);
        (sample.layerIndex < 0 ? this.misses : this.layers[sample.layerIndex])?.record(sample.ms);
      }),
      cache.on("evict", ({ layer, reason }) => {
        let reasons = this.evictions.get(layer);
        if (!reasons) this.evictions.set(layer, (reasons = {}));
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }),
      cache.on("error", ({ layer, operation }) => {
        let errors = this.errors.get(layer);
        if (!errors) this.errors.set(layer, (errors = { total: 0, byOperation: {} }));
        errors.total++;
        errors.byOperation[operation] = (errors.byOperation[operation] ?? 0) + 1;
      }),
      cache.on("stale", ({ reason }) => void (this.stale[reason] = (this.stale[reason] ?? 0) + 1)),
      cache.on("degraded", ({ layer }) => void this.degraded.add(layer)),
      cache.on("recovered", ({ layer }) => void this.degraded.delete(layer)),
      cache.on("pool-exhausted", (payload) => {
        const layer = layerOf(payload);
        if (layer) this.poolExhausted.set(layer, (this.poolExhausted.get(layer) ?? 0) + 1);
      }),
      cache.on("warming", (payload) => this.#onWarming(payload)),
    ];
    return () => off.forEach((unsubscribe) => unsubscribe());
  }

  errorCount(layer: string, operation: string): number {
    return this.errors.get(layer)?.byOperation[operation] ?? 0;
  }

  latencyOf(index: number): LatencySummary {
    return (this.layers[index] ?? new Histogram()).summary();
  }

  /** The warming plugin's progress events, read defensively: plugins share no types. */
  #onWarming(payload: CacheEvents[string]): void {
    if (typeof payload !== "object" || payload === null) return;
    const event = payload as Record<string, unknown>;
    const number = (name: string) => (typeof event[name] === "number" ? (event[name] as number) : 0);
    const warming = (this.warming ??= { runs: {}, running: false, done: 0, total: 0, failed: 0, warmed: 0, failures: 0 });
    const state = typeof event.state === "string" ? event.state : "progress";
    if (state === "started") {
      const trigger = typeof event.trigger === "string" ? event.trigger : "manual";
      warming.runs[trigger] = (warming.runs[trigger] ?? 0) + 1;
      warming.lastStartedAt = number("startedAt") || Date.now();
    }
    if (state === "finished" || state === "cancelled") {
      warming.warmed += number("done") - number("failed");
      warming.failures += number("failed");
      warming.lastFinishedAt = number("finishedAt") || Date.now();
    }
    warming.running = state === "started" || state === "progress";
    warming.done = number("done");
    warming.total = number("total");
    warming.failed = number("failed");
    warming.lastState = state;
  }
}

function layerOf(payload: unknown): string | undefined {
  const layer = (payload as { layer?: unknown } | null)?.layer;
  return typeof layer === "string" ? layer : undefined;
}

/** The pool numbers of a layer's stats (nested under `pool` or flat), booleans as 0/1. */
export function poolOf(stats: Record<string, unknown>): Record<string, number> | undefined {
  const source = typeof stats.pool === "object" && stats.pool !== null ? (stats.pool as Record<string, unknown>) : stats;
  const pool: Record<string, number> = {};
  for (const field of POOL_FIELDS) {
    const value = source[field];
    if (typeof value === "number") pool[field] = value;
    else if (typeof value === "boolean") pool[field] = value ? 1 : 0;
  }
  return Object.keys(pool).length ? pool : undefined;
}
