// Pins plugins/metrics/index.ts with histogram.ts, collector.ts, snapshot.ts, hit-rate-window.ts, prometheus.ts, render.ts.
import { describe, expect, test } from "bun:test";
import { createCache, loadConfig, type CacheLayer } from "ragcache";
import { memory } from "ragcache/memory";
import { Histogram, metrics, type MetricsPlugin } from "ragcache/metrics";
import { chaos, manualClock } from "ragcache/testing";
import { parsePrometheus } from "./prometheus-parse.ts";

function progress(state: "started" | "progress" | "finished", trigger: string, done: number, total: number, failed: number) {
  return { state, trigger, done, total, failed, running: state !== "finished", startedAt: 1, failures: [] };
}

function chain(
  plugin: MetricsPlugin,
  layers: CacheLayer[] = [memory({ name: "l1", max: 2 }), memory({ name: "l2" })],
  now?: () => number,
) {
  return createCache({ layers, plugins: [plugin], sampleEvery: 1, now });
}

describe("latency histogram", () => {
  test("percentiles of known samples are within the bucket error (±4.5 %)", () => {
    const histogram = new Histogram();
    for (let ms = 1; ms <= 10_000; ms++) histogram.record(ms / 10);
    const { p50, p95, p99, count, min, max } = histogram.summary();
    expect(count).toBe(10_000);
    expect([min, max]).toEqual([0.1, 1000]);
    expect(Math.abs(p50 - 500) / 500).toBeLessThan(0.045);
    expect(Math.abs(p95 - 950) / 950).toBeLessThan(0.045);
    expect(Math.abs(p99 - 990) / 990).toBeLessThan(0.045);
  });

  test("a skewed sample: the tail percentile sees the few slow lookups", () => {
    const histogram = new Histogram();
    for (let i = 0; i < 980; i++) histogram.record(0.002);
    for (let i = 0; i < 20; i++) histogram.record(250);
    const { p50, p95, p99 } = histogram.summary();
    expect(Math.abs(p50 - 0.002) / 0.002).toBeLessThan(0.045);
    expect(Math.abs(p95 - 0.002) / 0.002).toBeLessThan(0.045);
    expect(p99).toBe(250);
  });

  test("memory is fixed: extreme values land in the edge buckets and the cumulative buckets stay monotonic", () => {
    const histogram = new Histogram();
    for (const ms of [0, 1e-9, 5, 1e9, Number.NaN, -1]) histogram.record(ms);
    expect(histogram.count).toBe(4);
    const buckets = histogram.buckets();
    expect(buckets.length).toBe(30);
    expect(buckets.every((b, i) => i === 0 || b.count >= buckets[i - 1]!.count)).toBe(true);
    expect(buckets.at(-1)!.count).toBe(3);
    expect(histogram.percentile(1)).toBe(1e9);
  });
});

describe("metrics plugin", () => {
  test("snapshot counts per layer: hits, misses, hit rate, sets, deletes, evictions by reason, errors, latency", async () => {
    const m = metrics();
    const broken = chaos(memory({ name: "broken" }));
    const cache = chain(m, [memory({ name: "l1", max: 2 }), memory({ name: "l2" }), broken]);
    await cache.ready;
    broken.alwaysThrow();
    for (const q of ["a", "b", "c"]) await cache.set(q, q);
    await cache.get("a");
    await cache.get("c");
    await cache.get("nope");
    await cache.delete("b");
    await cache.close();
    const { overall, layers } = m.snapshot();
    const [l1, l2, bad] = layers;
    expect(overall).toMatchObject({ hits: 2, misses: 1, requests: 3, sets: 3, deletes: 1 });
    expect(overall.hitRate).toBeCloseTo(2 / 3);
    expect(l1).toMatchObject({ name: "l1", hits: 1, misses: 2, sets: 3, deletes: 1, backfills: 1 });
    expect(l1!.evictions.capacity).toBe(2);
    expect(l2).toMatchObject({ hits: 1, misses: 1, sets: 3 });
    expect(bad).toMatchObject({ hits: 0, sets: 0, deletes: 0, state: "up" });
    expect(bad!.errors.byOperation).toMatchObject({ set: 3, delete: 1, get: 1 });
    expect(l1!.latency.count).toBe(1);
    expect(l1!.latency.p99).toBeGreaterThan(0);
    expect(overall.latency.count).toBe(3);
    expect(overall.missLatency.count).toBe(1);
  });

  test("prometheus output parses back: types declared once, layer labels, cumulative histograms", async () => {
    const m = metrics();
    const cache = chain(m);
    await cache.ready;
    await cache.set("q", { docs: [1] });
    for (let i = 0; i < 5; i++) await cache.get("q");
    await cache.get("missing");
    cache.emit("warming", progress("started", "manual", 0, 2, 0));
    const text = m.prometheus();
    await cache.close();
    const { types, samples } = parsePrometheus(text);
    expect([...types.keys()].every((name) => name.startsWith("ragcache_"))).toBe(true);
    expect(types.get("ragcache_layer_hits_total")).toBe("counter");
    expect(types.get("ragcache_layer_hit_ratio")).toBe("gauge");
    expect(types.get("ragcache_layer_hit_duration_seconds")).toBe("histogram");
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value("ragcache_layer_hits_total", { layer: "l1" })).toBe(5);
    expect(value("ragcache_requests_total", { result: "miss" })).toBe(1);
    expect(value("ragcache_warming_running", {})).toBe(1);
    const le = (text: string) => (text === "+Inf" ? Infinity : Number(text));
    const buckets = samples.filter((s) => s.name === "ragcache_layer_hit_duration_seconds_bucket" && s.labels.layer === "l1");
    expect(buckets.at(-1)!.labels.le).toBe("+Inf");
    expect(buckets.at(-1)!.value).toBe(5);
    expect(
      buckets.every((b, i) => i === 0 || (b.value >= buckets[i - 1]!.value && le(b.labels.le!) > le(buckets[i - 1]!.labels.le!))),
    ).toBe(true);
    expect(value("ragcache_layer_hit_duration_seconds_count", { layer: "l1" })).toBe(5);
  });

  test("latency is sampled: 1 in the chain's sampleEvery lookups is timed, hits still all counted", async () => {
    const m = metrics();
    const cache = createCache({ layers: [memory()], plugins: [m], sampleEvery: 4 });
    await cache.ready;
    await cache.set("q", 1);
    for (let i = 0; i < 40; i++) cache.get("q");
    const { overall, layers } = m.snapshot();
    await cache.close();
    expect(overall.hits).toBe(40);
    expect(layers[0]!.latency.count).toBe(10);
  });

  test("label values are escaped", async () => {
    const m = metrics();
    const cache = chain(m, [memory({ name: 'we"ird\\name' })]);
    await cache.ready;
    await cache.get("q");
    const { samples } = parsePrometheus(m.prometheus());
    await cache.close();
    expect(samples.find((s) => s.name === "ragcache_layer_misses_total")!.labels.layer).toBe('we"ird\\name');
  });

  test("a pooled layer's stats and pool-exhausted events become pool metrics", async () => {
    const m = metrics();
    const pooled = {
      ...memory({ name: "pooled" }),
      stats: () => ({ pool: { connections: 4, busy: 4, queued: 7, exhausted: true } }),
    } satisfies CacheLayer;
    const cache = chain(m, [pooled]);
    await cache.ready;
    cache.emit("pool-exhausted", { layer: "pooled", connections: 4, queued: 7, ms: 120 });
    const layer = m.snapshot().layers[0]!;
    const text = m.prometheus();
    await cache.close();
    expect(layer.pool).toEqual({ connections: 4, busy: 4, queued: 7, exhausted: 1, exhaustedEvents: 1 });
    expect(text).toContain('ragcache_pool_queued{layer="pooled"} 7');
    expect(text).toContain('ragcache_pool_exhausted_total{layer="pooled"} 1');
  });

  test("warming progress events show up as warming stats", async () => {
    const m = metrics();
    const cache = chain(m);
    await cache.ready;
    cache.emit("warming", progress("started", "schedule", 0, 3, 0));
    cache.emit("warming", progress("progress", "schedule", 2, 3, 1));
    cache.emit("warming", progress("finished", "schedule", 3, 3, 1));
    const { warming } = m.snapshot();
    await cache.close();
    expect(warming).toMatchObject({
      runs: { schedule: 1 },
      running: false,
      done: 3,
      total: 3,
      failed: 1,
      warmed: 2,
      failures: 1,
    });
  });
});

describe("low hit-rate warning", () => {
  async function setup(minRequests: number) {
    const clock = manualClock();
    const lines: string[] = [];
    const m = metrics({ window: "1m", minRequests, hitRateThreshold: 0.6, log: (line) => void lines.push(line) });
    const cache = chain(m, [memory()], clock.now);
    const events: unknown[] = [];
    cache.on("low-hit-rate", (payload) => void events.push(payload));
    await cache.ready;
    return { m, cache, clock, lines, events };
  }

  test("not below the minimum number of lookups", async () => {
    const { m, cache, events, lines } = await setup(20);
    for (let i = 0; i < 19; i++) await cache.get(`miss ${i}`);
    expect(m.check()).toBeUndefined();
    expect(events).toEqual([]);
    expect(lines).toEqual([]);
    await cache.close();
  });

  test("fires once per window, with one log line, and again in the next window", async () => {
    const { m, cache, clock, events, lines } = await setup(10);
    for (let i = 0; i < 10; i++) await cache.get(`miss ${i}`);
    m.check();
    for (let i = 0; i < 50; i++) {
      await cache.get(`again ${i}`);
      clock.advance("1s");
      m.check();
    }
    expect(events).toEqual([{ hitRate: 0, threshold: 0.6, requests: 10, windowMs: 60_000 }]);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain("below 60%");
    clock.advance("15s");
    m.check();
    expect(events.length).toBe(2);
    await cache.close();
  });

  test("a healthy hit rate never warns, and old misses slide out of the window", async () => {
    const { m, cache, clock, events } = await setup(10);
    for (let i = 0; i < 30; i++) await cache.get(`miss ${i}`);
    for (let tick = 0; tick < 20; tick++) {
      clock.advance("6s");
      m.check();
    }
    expect(events.length).toBe(1);
    expect(m.snapshot().overall.window.requests).toBe(0);
    await cache.set("hot", 1);
    for (let i = 0; i < 30; i++) {
      await cache.get("hot");
      clock.advance("1s");
      expect(m.check()).toBeUndefined();
    }
    expect(events.length).toBe(1);
    expect(m.snapshot().overall.window.hitRate).toBe(1);
    await cache.close();
  });
});

describe("metrics config", () => {
  test("loaded from plain config, the threshold comes from RAG_CACHE_HIT_RATE_THRESHOLD", async () => {
    const options = await loadConfig(
      { layers: [{ use: "memory" }], plugins: [{ use: "metrics", window: "30s" }] },
      { env: { RAG_CACHE_HIT_RATE_THRESHOLD: "0.25" } },
    );
    const cache = createCache(options);
    await cache.ready;
    const m = options.plugins![0] as MetricsPlugin;
    expect(m.snapshot().overall.window).toMatchObject({ threshold: 0.25, ms: 30_000 });
    await cache.close();
  });

  test("bad options are a config error listing each problem", async () => {
    const error = await loadConfig(
      { layers: [{ use: "memory" }], plugins: [{ use: "metrics", hitRateThreshold: 2, bogus: 1 }] },
      { env: {} },
    ).catch((e) => e);
    expect(error.code).toBe("E_CONFIG_INVALID");
    expect(error.message).toContain("plugins.0.hitRateThreshold");
    expect(error.message).toContain("bogus");
    expect(() => metrics().snapshot()).toThrow("not set up");
  });
});
