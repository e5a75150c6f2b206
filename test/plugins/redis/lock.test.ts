// Pins plugins/redis/lock.ts and flight.ts in one process: two chains over one Redis act as two processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { createCache, isRagCacheError, type Cache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis, type RedisLayerOptions } from "ragcache/redis";
import { lockKeyOf } from "../../../plugins/redis/lock.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
let admin: Redis;
const caches: Cache[] = [];
beforeAll(async () => {
  server = await startRedis({ private: true });
  admin = new Redis(server.url);
});
afterAll(async () => {
  await Promise.allSettled(caches.map((cache) => cache.close()));
  admin.disconnect();
  await server.stop();
});

/** A chain like one process's: memory over the shared Redis under `prefix`. */
function instance(prefix: string, options: RedisLayerOptions = {}): Cache {
  const cache = createCache({ layers: [memory(), redis({ url: server.url, prefix, log: () => {}, ...options })] });
  caches.push(cache);
  return cache;
}

const slow =
  <V>(value: V, ms: number, runs: string[], who: string) =>
  async () => {
    runs.push(who);
    await Bun.sleep(ms);
    return value;
  };

describe("lock key", () => {
  test("the lock sits in the entry's hash slot: the entry key is its tag, or its own tag is reused", () => {
    expect(lockKeyOf("ragcache:retrieval:9f")).toBe("{ragcache:retrieval:9f}#lock");
    expect(lockKeyOf("{rag}:retrieval:9f")).toBe("{rag}#lock:{rag}:retrieval:9f");
  });
});

describe("redis single flight", () => {
  test("a waiting process is woken by the holder's release, long before the lease would expire", async () => {
    const [a, b] = [instance("wake:", { lockLease: "20s" }), instance("wake:", { lockLease: "20s" })];
    const runs: string[] = [];
    const first = a.getOrSet("q", slow("from a", 150, runs, "a"));
    await Bun.sleep(30);
    const started = performance.now();
    expect(await b.getOrSet("q", slow("from b", 150, runs, "b"))).toBe("from a");
    expect(await first).toBe("from a");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(runs).toEqual(["a"]);
    expect(b.stats().layers[1]).toMatchObject({ flights: { joined: 1 } });
    expect(await admin.exists(lockKeyOf("wake:default:x"))).toBe(0);
  });

  test("a holder whose lease expired cannot overwrite the newer value: its write is refused and its faster layer forgets", async () => {
    const [a, b] = [instance("fence:"), instance("fence:")];
    const key = a.key("q");
    const runs: string[] = [];
    const late = a.getOrSet(key, slow("late", 300, runs, "a"));
    await Bun.sleep(50);
    expect(await admin.del(lockKeyOf(`fence:${key.id}`))).toBe(1);
    expect(await b.getOrSet(key, slow("newer", 10, runs, "b"))).toBe("newer");
    expect(await late).toBe("late");
    await Bun.sleep(20);
    expect(runs).toEqual(["a", "b"]);
    expect(await a.get(key)).toBe("newer");
    expect(await b.get(key)).toBe("newer");
    expect(a.stats().layers[1]).toMatchObject({ flights: { led: 1, fenced: 1 } });
  });

  test("past lockWait a waiting process runs its own loader", async () => {
    const [a, b] = [instance("deadline:"), instance("deadline:", { lockWait: "100ms" })];
    const runs: string[] = [];
    const first = a.getOrSet("q", slow("from a", 600, runs, "a"));
    await Bun.sleep(30);
    expect(await b.getOrSet("q", slow("from b", 10, runs, "b"))).toBe("from b");
    expect(await first).toBe("from a");
    expect(runs).toEqual(["a", "b"]);
    expect(b.stats().layers[1]).toMatchObject({ flights: { timedOut: 1 } });
  });

  test("distributed: false and singleFlight: false keep single flight to the process", async () => {
    const [a, b, c] = [instance("local:"), instance("local:"), instance("local:", { singleFlight: false })];
    const runs: string[] = [];
    const first = a.getOrSet("q", slow("from a", 150, runs, "a"));
    await Bun.sleep(30);
    const [fromB, fromC] = await Promise.all([
      b.getOrSet("q", slow("from b", 10, runs, "b"), { distributed: false }),
      c.getOrSet("q", slow("from c", 10, runs, "c")),
    ]);
    expect([fromB, fromC, await first]).toEqual(["from b", "from c", "from a"]);
    expect(runs.sort()).toEqual(["a", "b", "c"]);
    expect(c.stats().layers[1]).not.toHaveProperty("flights");
  });

  test("a failing holder's error reaches the waiter as E_LOADER_FAILED with its message", async () => {
    const [a, b] = [instance("failing:"), instance("failing:")];
    const first = a.getOrSet("q", async () => {
      await Bun.sleep(100);
      throw new Error("upstream 503");
    });
    await Bun.sleep(30);
    const waiting = Promise.resolve(b.getOrSet("q", () => "never"));
    await expect(first).rejects.toThrow("upstream 503");
    const error = await waiting.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isRagCacheError(error, "E_LOADER_FAILED")).toBe(true);
    expect((error as Error).message).toContain("upstream 503");
  });

  test("a loader answering undefined answers every process undefined, and nothing is stored", async () => {
    const [a, b] = [instance("empty:"), instance("empty:")];
    const runs: string[] = [];
    const first = a.getOrSet("q", slow(undefined, 100, runs, "a"));
    await Bun.sleep(30);
    expect(await b.getOrSet("q", slow("from b", 10, runs, "b"))).toBeUndefined();
    expect(await first).toBeUndefined();
    expect(runs).toEqual(["a"]);
  });

  test("a hung Redis (SIGSTOP) never blocks getOrSet: the process loads alone once a lock command times out", async () => {
    const cache = instance("hung:", { commandTimeout: "100ms", retries: 0 });
    await cache.getOrSet("warm", () => "up");
    server.pause();
    try {
      const started = performance.now();
      expect(await cache.getOrSet("q", () => "loaded here")).toBe("loaded here");
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      server.resume();
    }
  });
});
