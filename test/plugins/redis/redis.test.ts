import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { createCache, createKey } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { layerConformance, testContext } from "ragcache/testing";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server.stop());

const quiet = () => {};
const entry = (value: unknown, extra: object = {}) => ({ value, createdAt: Date.now(), expiresAt: Date.now() + 60_000, ...extra });

layerConformance("redis layer", () => redis({ url: server.url, prefix: "conformance:", log: quiet }), { expiryWaitMs: 300 });

describe("redis layer", () => {
  test("entries are stored under the prefix as a compact JSON array with a PX expiry", async () => {
    const layer = redis({ url: server.url, prefix: "format:", log: quiet });
    layer.attach!(testContext());
    const key = createKey("what is rag?");
    await layer.set(key, entry({ docs: [1] }, { tags: ["doc:1"] }));
    const raw = new Redis(server.url);
    try {
      const stored = JSON.parse((await raw.get(`format:${key.id}`))!);
      expect(stored[0]).toBe(1);
      expect(stored[1]).toEqual({ docs: [1] });
      expect(stored[5]).toEqual(["doc:1"]);
      const pttl = await raw.pttl(`format:${key.id}`);
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      expect(await raw.smembers("format:#tag:doc:1")).toEqual([key.id]);
    } finally {
      raw.disconnect();
      await layer.close!();
    }
  });
});
