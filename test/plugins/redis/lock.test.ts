// Pins plugins/redis/lock.ts and flight.ts in one process: two chains over one Redis act as two processes.
import { describe, expect, test } from "bun:test";
import { createCache, isRagCacheError, type Cache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis, type RedisLayerOptions } from "ragcache/redis";
import { lockKeyOf } from "../../../plugins/redis/lock.ts";
import { redisForTests, untilPeersMeet } from "../../support/redis-for-tests.ts";

const shared = redisForTests({ private: true });

/** A chain like one process's: memory over the shared Redis under `prefix`. */
function instance(prefix: string, options: RedisLayerOptions = {}): Cache {
  return shared.track(createCache({ layers: [memory(), redis({ url: shared.url, prefix, log: () => {}, ...options })] }));
}

const slow =
  <V>(value: V, ms: number, runs: string[], who: string) =>
  async () => {
    runs.push(who);
    await Bun.sleep(ms);
    return value;
  };

/** Resolves once `ready()` holds (a loader started, say), polling every 5 ms. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await Bun.sleep(5);
}

describe("lock key", () => {
  test("the lock sits in the entry's hash slot: the entry key is its tag, or its own tag is reused", () => {
    expect(lockKeyOf("ragcache:retrieval:9f")).toBe("{ragcache:retrieval:9f}#lock");
    expect(lockKeyOf("{rag}:retrieval:9f")).toBe("{rag}#lock:{rag}:retrieval:9f");
  });
});

describe("redis single flight", () => {
  test("a waiting process is woken by the holder's release, long before the lease would expire", async () => {
    const [a, b] = [instance("wake:", { lockLease: "20s" }), instance("wake:", { lockLease: "20s" })];
    await untilPeersMeet([a, b]);
    const runs: string[] = [];
    const first = a.getOrSet("q", slow("from a", 800, runs, "a"));
    await until(() => runs.length > 0);
    const started = performance.now();
    expect(await b.getOrSet("q", slow("from b", 150, runs, "b"))).toBe("from a");
    expect(await first).toBe("from a");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(runs).toEqual(["a"]);
    expect(b.stats().layers[1]).toMatchObject({ flights: { joined: 1 } });
    expect(await shared.admin.exists(lockKeyOf("wake:default:x"))).toBe(0);
  });

  test("a holder whose lease expired cannot overwrite the newer value: its write is refused and its faster layer forgets", async () => {
    // Without the bus, so that the chain does not drop the late write on hearing of the newer one: the fence must.
    const [a, b] = [instance("fence:", { invalidationBus: false }), instance("fence:")];
    const key = a.key("q");
    const runs: string[] = [];
    const late = a.getOrSet(key, slow("late", 1500, runs, "a"));
    await until(() => runs.length > 0);
    expect(await shared.admin.del(lockKeyOf(`fence:${key.id}`))).toBe(1);
    expect(await b.getOrSet(key, slow("newer", 10, runs, "b"))).toBe("newer");
    expect(await late).toBe("late");
    await Bun.sleep(20);
    expect(runs).toEqual(["a", "b"]);
    expect(await a.get(key)).toBe("newer");
    expect(await b.get(key)).toBe("newer");
    expect(a.stats().layers[1]).toMatchObject({ flights: { led: 1, fenced: 1 } });
  });

  test("a process that takes the lock after another one stored the value reads it instead of loading", async () => {
    const writer = instance("recheck:");
    const layer = redis({ url: shared.url, prefix: "recheck:", log: () => {} });
    const key = writer.key("q");
    await writer.set(key, "stored meanwhile");
    let loads = 0;
    const flight = { load: async () => `loaded ${++loads}`, read: async () => writer.get<string>(key), refresh: false };
    expect(await layer.coordinate!(key, flight)).toBe("stored meanwhile");
    expect(await layer.coordinate!(key, { ...flight, refresh: true })).toBe("loaded 1");
    expect(await layer.coordinate!(writer.key("absent"), flight)).toBe("loaded 2");
    await layer.close!();
  });

  test("past lockWait a waiting process runs its own loader", async () => {
    const [a, b] = [instance("deadline:"), instance("deadline:", { lockWait: "100ms" })];
    await untilPeersMeet([a, b]);
    const runs: string[] = [];
    const first = a.getOrSet("q", slow("from a", 2000, runs, "a"));
    await until(() => runs.length > 0);
    expect(await b.getOrSet("q", slow("from b", 10, runs, "b"))).toBe("from b");
    expect(await first).toBe("from a");
    expect(runs).toEqual(["a", "b"]);
    expect(b.stats().layers[1]).toMatchObject({ flights: { timedOut: 1 } });
  });

  test("distributed: false and singleFlight: false keep single flight to the process", async () => {
    const [a, b, c] = [instance("local:"), instance("local:"), instance("local:", { singleFlight: false })];
    await untilPeersMeet([a, b, c]);
    const runs: string[] = [];
    const first = a.getOrSet("q", slow("from a", 800, runs, "a"));
    await until(() => runs.length > 0);
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
    await untilPeersMeet([a, b]);
    let started = false;
    const first = a.getOrSet("q", async () => {
      started = true;
      await Bun.sleep(600);
      throw new Error("upstream 503");
    });
    await until(() => started);
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
    await untilPeersMeet([a, b]);
    const runs: string[] = [];
    const first = a.getOrSet("q", slow(undefined, 600, runs, "a"));
    await until(() => runs.length > 0);
    expect(await b.getOrSet("q", slow("from b", 10, runs, "b"))).toBeUndefined();
    expect(await first).toBeUndefined();
    expect(runs).toEqual(["a"]);
  });

  test("a hung Redis (SIGSTOP) never blocks getOrSet: the process loads alone once a lock command times out", async () => {
    const cache = instance("hung:", { commandTimeout: "100ms", retries: 0 });
    await cache.getOrSet("warm", () => "up");
    shared.server.pause();
    try {
      const started = performance.now();
      expect(await cache.getOrSet("q", () => "loaded here")).toBe("loaded here");
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      shared.server.resume();
    }
  });
});
