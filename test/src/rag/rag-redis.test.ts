// Pins src/rag/index.ts over memory and a redis layer, on a live Redis.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCache, RagCache, type Cache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
const caches: Cache[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
  await server.stop();
});

/** A process's chain: its own memory in front of the shared Redis. */
function chain(prefix: string) {
  const l1 = memory();
  const cache = createCache({ layers: [l1, redis({ url: server.url, prefix, invalidationBus: false })] });
  caches.push(cache);
  return { rag: new RagCache({ cache }), l1 };
}

describe("rag cache over memory and redis", () => {
  test("invalidateDocuments removes the retrievals and answers in redis too, not only in memory", async () => {
    const prefix = `rag-test-${Date.now()}:`;
    const writer = chain(prefix);
    await writer.rag.retrieve("q1", { k: 2 }, () => [{ id: "1" }, { id: "2" }]);
    await writer.rag.answer("q1", ["1", "2"], { model: "m" }, () => "a1");
    await writer.rag.answer("q2", ["3"], { model: "m" }, () => "a2");
    await writer.rag.invalidateDocuments(["2"]);

    const reader = chain(prefix);
    expect((await reader.rag.retrieve("q1", { k: 2 }, () => [{ id: "9" }])).status).toBe("miss");
    expect((await reader.rag.answer("q1", ["1", "2"], { model: "m" }, () => "fresh")).value).toBe("fresh");
    expect(await reader.rag.answer("q2", ["3"], { model: "m" }, () => "never")).toMatchObject({
      status: "hit",
      layer: "redis",
      value: "a2",
    });
  });
});
