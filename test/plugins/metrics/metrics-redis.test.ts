// Pins plugins/metrics/collector.ts and snapshot.ts against the pool stats of plugins/redis/index.ts, on a live Redis.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { redis } from "ragcache/redis";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";
import { parsePrometheus } from "./prometheus-parse.ts";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

describe("metrics plugin with a real Redis layer", () => {
  test("pool numbers come from the redis layer's stats, L2 hits get their own latency series", async () => {
    const m = metrics();
    const cache = createCache({
      layers: [memory({ max: 1 }), redis({ url: server.url, maxConnections: 3, prefix: `metrics-${Date.now()}:` })],
      plugins: [m],
      sampleEvery: 1,
    });
    await cache.ready;
    await cache.set("a", { docs: [1] });
    await cache.set("b", { docs: [2] });
    expect(await cache.get("a")).toEqual({ docs: [1] });
    const snapshot = m.snapshot();
    const text = m.prometheus();
    await cache.close();
    const l2 = snapshot.layers[1]!;
    expect(l2).toMatchObject({ name: "redis", hits: 1, sets: 2, state: "up" });
    expect(l2.pool).toMatchObject({ connections: 3, queued: 0, exhausted: 0, exhaustedEvents: 0 });
    expect(l2.latency.count).toBe(1);
    expect(l2.latency.p50).toBeGreaterThan(l2.latency.min * 0.9);
    const { samples } = parsePrometheus(text);
    expect(samples.find((s) => s.name === "ragcache_pool_connections" && s.labels.layer === "redis")?.value).toBe(3);
    expect(samples.find((s) => s.name === "ragcache_layer_hit_duration_seconds_count" && s.labels.layer === "redis")?.value).toBe(
      1,
    );
  });
});
