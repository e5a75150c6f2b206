// Pins plugins/warming/index.ts and frequency-store.ts with a redis layer as the persistent one, on a live Redis.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCache, createKey } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { warming } from "ragcache/warming";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

describe("warming plugin with a real Redis layer", () => {
  test("warms through memory and Redis, and keeps its frequency table in Redis across a restart", async () => {
    const prefix = `warming-${Date.now()}:`;
    const chain = () => {
      const w = warming({ schedule: false, loaders: { docs: (query) => ({ answer: query }) } });
      return { w, cache: createCache({ layers: [memory(), redis({ url: server.url, prefix })], plugins: [w], sampleEvery: 1 }) };
    };
    const first = chain();
    await first.cache.ready;
    for (let i = 0; i < 3; i++) await first.cache.get("what is rag", { namespace: "docs" });
    expect(await first.w.run()).toMatchObject({ state: "finished", done: 1, failed: 0 });
    const key = createKey("what is rag", { namespace: "docs" });
    for (const layer of first.cache.layers) expect((await layer.get(key))?.value).toEqual({ answer: "what is rag" });
    await first.cache.close();

    const second = chain();
    await second.cache.ready;
    expect(second.w.status().persistence).toBe("layer:redis");
    expect((await second.w.plan()).map((item) => [item.namespace, item.query, item.count])).toEqual([["docs", "what is rag", 3]]);
    await second.cache.close();
  });
});
