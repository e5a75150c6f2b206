// Pins src/rag/index.ts over memory and a redis layer, on a live Redis.
import { describe, expect, test } from "bun:test";
import { createCache, RagCache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { redisForTests } from "../../support/redis-for-tests.ts";

const shared = redisForTests();

/** A process's chain: its own memory in front of the shared Redis. */
function chain(prefix: string) {
  const l1 = memory();
  const cache = shared.track(createCache({ layers: [l1, redis({ url: shared.url, prefix, invalidationBus: false })] }));
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
