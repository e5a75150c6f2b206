// Pins plugins/redis/connect.ts (isCommandError), breaker.ts, degradation.ts and index.ts (readFailed).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, type CacheEvents } from "ragcache";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { testEntry } from "ragcache/testing";
import { redisForTests } from "../../support/redis-for-tests.ts";

const redisTest = redisForTests();
const root = mkdtempSync(join(tmpdir(), "ragcache-reply-errors-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function chain(prefix: string) {
  const fallback = file({ dir: join(root, prefix) });
  const l2 = redis({ url: redisTest.url, prefix, log: () => {}, failureThreshold: 2, fallback });
  const cache = createCache({ layers: [memory(), l2] });
  const degraded: CacheEvents["degraded"][] = [];
  const errors: CacheEvents["error"][] = [];
  cache.on("degraded", (event) => void degraded.push(event));
  cache.on("error", (event) => void errors.push(event));
  return { cache, l2, fallback, degraded, errors };
}

describe("redis reply errors", () => {
  test("a read Redis refuses (a key of another type) is a miss and an error, never an open breaker", async () => {
    const { cache, l2, fallback, degraded, errors } = chain("wrongtype-read:");
    try {
      for (let i = 0; i < 10; i++) await redisTest.admin.lpush(`wrongtype-read:${cache.key(`q${i}`).id}`, "not an entry");
      for (let i = 0; i < 10; i++) expect(await cache.get(`q${i}`)).toBeUndefined();
      expect(errors.filter((e) => e.layer === "redis" && /WRONGTYPE/.test(e.error.message))).toHaveLength(10);
      expect(degraded).toEqual([]);
      expect(l2.stats().state).toBe("up");
      await cache.set("fine", 1);
      expect(await redisTest.admin.exists(`wrongtype-read:${cache.key("fine").id}`)).toBe(1);
      expect(fallback.stats().entries).toBe(0);
    } finally {
      await cache.close();
    }
  });

  test("a write Redis refuses (a tag key of another type) fails in that layer alone; the tier stays up", async () => {
    const { cache, l2, fallback, degraded, errors } = chain("wrongtype-write:");
    try {
      await redisTest.admin.set("wrongtype-write:#tag:doc:1", "not a set");
      for (let i = 0; i < 10; i++) await cache.set(`q${i}`, i, { tags: ["doc:1"] });
      expect(errors.filter((e) => e.layer === "redis" && e.operation === "set")).toHaveLength(10);
      expect(degraded).toEqual([]);
      expect(l2.stats().state).toBe("up");
      expect(fallback.stats().entries).toBe(0);
      await cache.set("fine", 1, { tags: ["doc:2"] });
      expect((await l2.get(cache.key("fine")))?.value).toBe(1);
    } finally {
      await cache.close();
    }
  });

  test("an expiry Redis refuses, written past the chain's checks, leaves the tier up", async () => {
    const { cache, l2, degraded } = chain("bad-expiry:");
    try {
      const now = Date.now();
      const refused = await Promise.resolve(
        l2.set(cache.key("q"), testEntry(cache.key("q"), 1, { createdAt: now, expiresAt: now + 1e308 })),
      ).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused?.name).toBe("ReplyError");
      expect(degraded).toEqual([]);
      expect(l2.stats().state).toBe("up");
    } finally {
      await cache.close();
    }
  });
});
