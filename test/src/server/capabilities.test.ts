// Pins src/server/admin-routes.ts and stats.ts: what plugins declare in capabilities, read without side effects.
import { afterEach, describe, expect, test } from "bun:test";
import { createCache, type CachePlugin } from "ragcache";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { warming } from "ragcache/warming";
import { createServerApp } from "../../../src/server/app.ts";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(plugins: CachePlugin[]) {
  const cache = createCache({ layers: [memory({ name: "l1" })], plugins, sampleEvery: 1 });
  await cache.ready;
  const app = createServerApp({ cache, plugins });
  closers.push(
    () => app.close(),
    () => cache.close(),
  );
  return { cache, app };
}

describe("server capabilities", () => {
  test("reading /metrics and /stats has no side effects: a low hit rate seen there starts no warming pass", async () => {
    const lines: string[] = [];
    const m = metrics({ minRequests: 5, hitRateThreshold: 0.9, log: (line) => void lines.push(line) });
    const w = warming({ schedule: false, loaders: { default: async () => "loaded" }, cooldown: 0 });
    const { cache, app } = await serve([m, w]);
    const lowHitRate: unknown[] = [];
    cache.on("low-hit-rate", (event) => void lowHitRate.push(event));
    for (let i = 0; i < 50; i++) await cache.get(`miss ${i}`);
    for (let i = 0; i < 20; i++) {
      expect((await app.request("/metrics")).status).toBe(200);
      expect((await app.request("/stats")).status).toBe(200);
    }
    expect(lowHitRate).toEqual([]);
    expect(lines).toEqual([]);
    expect(w.status().progress).toBeUndefined();
    const stats = await (await app.request("/stats")).json();
    expect(stats.plugins.metrics.overall.window).toMatchObject({ requests: 50, hitRate: 0 });
  });

  test("the server mounts what a plugin declares, found by capability and never by name", async () => {
    const started: string[] = [];
    let running = false;
    const reindex: CachePlugin = {
      name: "reindexer",
      setup() {},
      capabilities: {
        stats: () => ({ documents: 42 }),
        job: {
          route: "reindex",
          start: (trigger) => void started.push(trigger),
          cancel: () => void (running = false),
          status: () => ({ running }),
        },
      },
    };
    const impostor = { name: "metrics", setup() {}, prometheus: () => "# fake", snapshot: () => ({}) } as CachePlugin;
    const { app } = await serve([reindex, impostor]);
    const stats = await (await app.request("/stats")).json();
    expect(stats.plugins).toEqual({ reindexer: { documents: 42 } });
    expect(stats.jobs).toEqual([{ plugin: "reindexer", route: "reindex" }]);
    const post = await app.request("/v1/reindex", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(post.status).toBe(202);
    expect(started).toEqual(["api"]);
    expect((await app.request("/metrics")).status).toBe(501);
    expect((await app.request("/v1/warm")).status).toBe(501);
  });

  test("/stats and the metrics plugin give the same percentiles (one implementation); no samples is null, not 0", async () => {
    const m = metrics();
    const { cache, app } = await serve([m]);
    for (let i = 0; i < 200; i++) await cache.set(`q${i}`, i);
    for (let i = 0; i < 200; i++) cache.get(`q${i}`);
    const stats = await (await app.request("/stats")).json();
    const snapshot = m.snapshot().layers[0]!.latency;
    const layer = stats.layers[0].latencyMs;
    expect(layer.samples).toBe(snapshot.count);
    for (const p of ["p50", "p95", "p99"] as const) expect(layer[p]).toBeCloseTo(snapshot[p], 3);
    expect(stats.missLatencyMs).toEqual({ samples: 0, p50: null, p95: null, p99: null });
  });
});
