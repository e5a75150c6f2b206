// Pins src/chain/invalidations.ts and its use in src/chain/cache.ts (back-fills and loads) and src/chain/walk.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCache, type Cache, type CacheKey, type CacheLayer, type LayerHit } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const quiet = () => {};
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server.stop());

const valueIn = (layer: CacheLayer, key: CacheKey) => (layer.get(key) as LayerHit | undefined)?.value;

/** Memory over a real Redis, and the memory layer. */
function overRedis(prefix: string, bus = false): { cache: Cache; l1: CacheLayer } {
  const l1 = memory();
  const cache = createCache({ layers: [l1, redis({ url: server.url, prefix, log: quiet, invalidationBus: bus })] });
  return { cache, l1 };
}

/**
 * Sets `count` keys, drops them from memory so the next read goes to Redis, then runs that read at the
 * same time as `invalidate(i)`; answers the keys whose old value is in memory or served afterwards.
 */
async function raceReads(cache: Cache, l1: CacheLayer, count: number, invalidate: (i: number) => Promise<void>) {
  const stale: string[] = [];
  for (let i = 0; i < count; i++) {
    const query = `question ${i}`;
    await cache.set(query, "old", { namespace: `ns${i}`, tags: [`doc:${i}`] });
    const key = cache.key(query, { namespace: `ns${i}` });
    l1.delete(key);
    await Promise.all([cache.get(key), invalidate(i)]);
    if (valueIn(l1, key) !== undefined || (await cache.get(key)) !== undefined) stale.push(query);
  }
  return stale;
}

describe("a read racing an invalidation never brings the invalidated entry back", () => {
  test("invalidateTags: 200 reads answered by Redis, none back-filled into memory", async () => {
    const { cache, l1 } = overRedis("order-tags:");
    expect(await raceReads(cache, l1, 200, (i) => cache.invalidateTags([`doc:${i}`]))).toEqual([]);
    await cache.close();
  });

  test("clear(namespace): 200 reads answered by Redis, none back-filled into memory", async () => {
    const { cache, l1 } = overRedis("order-ns:");
    expect(await raceReads(cache, l1, 200, (i) => cache.clear(`ns${i}`))).toEqual([]);
    await cache.close();
  });

  test("clear(): 200 reads answered by Redis, none back-filled into memory", async () => {
    const { cache, l1 } = overRedis("order-all:");
    expect(await raceReads(cache, l1, 200, () => cache.clear())).toEqual([]);
    await cache.close();
  });

  test("an unrelated invalidation does not stop a back-fill", async () => {
    const { cache, l1 } = overRedis("order-other:");
    await cache.set("q", "v", { tags: ["doc:1"] });
    const key = cache.key("q");
    l1.delete(key);
    await Promise.all([cache.get(key), cache.invalidateTags(["doc:2"]), cache.clear("elsewhere")]);
    expect(valueIn(l1, key)).toBe("v");
    await cache.close();
  });
});

describe("a load racing an invalidation does not store what it loaded", () => {
  /** Starts a load of "q" tagged doc:1 that finishes when released. */
  function slowLoad(cache: Cache) {
    let release = () => {};
    const loading = cache.getOrSet("q", () => new Promise<string>((resolve) => (release = () => resolve("loaded"))), {
      tags: ["doc:1"],
    });
    return { loading, release: () => release() };
  }

  for (const [what, invalidate] of [
    ["invalidateTags of a tag the value carries", (cache: Cache) => cache.invalidateTags(["doc:1"])],
    ["clear of its namespace", (cache: Cache) => cache.clear("default")],
    ["clear()", (cache: Cache) => cache.clear()],
  ] as const) {
    test(`a load that started before a local ${what} answers its callers and stores nothing`, async () => {
      const { cache } = overRedis(`load-${what.length}:`);
      const { loading, release } = slowLoad(cache);
      await Bun.sleep(1);
      await invalidate(cache);
      release();
      expect(await loading).toBe("loaded");
      expect(await cache.get("q")).toBeUndefined();
      await cache.close();
    });
  }

  test("a load that started after the invalidation is stored", async () => {
    const { cache } = overRedis("load-after:");
    await cache.invalidateTags(["doc:1"]);
    expect(await cache.getOrSet("q", () => "loaded", { tags: ["doc:1"] })).toBe("loaded");
    expect(await cache.get("q")).toBe("loaded");
    await cache.close();
  });

  test("a load overtaken by another process's tag invalidation (heard on the bus) stores nothing", async () => {
    const { cache: here, l1 } = overRedis("load-bus:", true);
    const { cache: there } = overRedis("load-bus:", true);
    // Heard once the probe, tagged like the load, has left this process's memory.
    const probe = here.key("probe");
    const heard = async () => {
      while (valueIn(l1, probe) !== undefined) await Bun.sleep(2);
    };
    do {
      await here.set(probe, "p", { tags: ["doc:check"] });
      await there.invalidateTags(["doc:check"]);
      await Promise.race([heard(), Bun.sleep(50)]);
    } while (valueIn(l1, probe) !== undefined);
    let release = () => {};
    const loading = here.getOrSet("q", () => new Promise<string>((resolve) => (release = () => resolve("loaded"))), {
      tags: ["doc:1"],
    });
    await here.set(probe, "p", { tags: ["doc:1"] });
    await there.invalidateTags(["doc:1"]);
    await heard();
    release();
    expect(await loading).toBe("loaded");
    expect(await here.get("q")).toBeUndefined();
    await Promise.all([here.close(), there.close()]);
  });
});
