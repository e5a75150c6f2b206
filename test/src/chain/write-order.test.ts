// Pins src/chain/cache.ts (back-fill and load ordering), src/chain/newest-writes.ts, plugins/memory, plugins/redis/store.ts,
// plugins/redis/degradation.ts (back-fills routed to the fallback).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCache, createKey, type CacheKey, type CacheLayer, type LayerHit } from "ragcache";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { testContext, testEntry } from "ragcache/testing";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const quiet = () => {};
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server.stop());

/** A layer whose next read sees the store at once but answers only once `wait()` settles, as over a slow network. */
function lateOnce(layer: CacheLayer, wait: () => Promise<unknown>): CacheLayer {
  let late = true;
  return {
    ...layer,
    get(key: CacheKey) {
      const hit = layer.get(key);
      if (!late) return hit;
      late = false;
      return wait().then(() => hit as LayerHit | undefined);
    },
  };
}

const valueIn = (layer: CacheLayer, key: CacheKey) => (layer.get(key) as LayerHit | undefined)?.value;

describe("a late read never overwrites a newer write", () => {
  test("reads raced against writes on 500 keys, one-entry memory over Redis: 0 stale values afterwards", async () => {
    const cache = createCache({ layers: [memory({ max: 1 }), redis({ url: server.url, prefix: "race:", log: quiet })] });
    const keys = Array.from({ length: 500 }, (_, i) => `question ${i}`);
    for (const key of keys) await cache.set(key, "old");
    const stale: string[] = [];
    const worker = async (offset: number) => {
      for (let i = offset; i < keys.length; i += 20) {
        const key = keys[i]!;
        await Promise.all([cache.get(key), cache.set(key, "new")]);
        const [now, again] = [await cache.get(key), await cache.get(key)];
        if (now !== "new" || again !== "new") stale.push(key);
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, offset) => worker(offset)));
    await cache.close();
    expect(stale).toEqual([]);
  }, 30_000);

  test("a back-fill read before a newer set is dropped, even after that set left a one-entry memory", async () => {
    const l1 = memory({ max: 1 });
    const cache = createCache({ layers: [l1, lateOnce(memory({ name: "l2" }), () => Bun.sleep(30))] });
    await cache.set("q", "old");
    await cache.set("other", "x");
    const late = cache.get("q");
    await cache.set("q", "new");
    await cache.set("other", "y");
    expect(await late).toBe("old");
    expect(valueIn(l1, cache.key("q"))).toBeUndefined();
    expect(await cache.get("q")).toBe("new");
    await cache.close();
  });

  test("a back-fill of the entry a set wrote itself is kept", async () => {
    const l1 = memory({ max: 1 });
    const cache = createCache({ layers: [l1, memory({ name: "l2" })] });
    await cache.set("q", "v");
    await cache.set("other", "x");
    expect(await cache.get("q")).toBe("v");
    expect(valueIn(l1, cache.key("q"))).toBe("v");
    await cache.close();
  });

  test("a back-fill read before a delete is dropped", async () => {
    const l2 = memory({ name: "l2" });
    const cache = createCache({ layers: [memory(), lateOnce(l2, () => Bun.sleep(30))] });
    await l2.set(cache.key("q"), testEntry(cache.key("q"), "old"));
    const late = cache.get("q");
    await cache.delete("q");
    expect(await late).toBe("old");
    expect(await cache.get("q")).toBeUndefined();
    await cache.close();
  });

  test("a load that started before a set does not replace the set's value", async () => {
    const cache = createCache({ layers: [memory(), memory({ name: "l2" })] });
    let release = () => {};
    const loading = cache.getOrSet("q", () => new Promise<string>((resolve) => (release = () => resolve("loaded"))));
    await Bun.sleep(1);
    await cache.set("q", "set meanwhile");
    release();
    expect(await loading).toBe("loaded");
    expect(await cache.get("q")).toBe("set meanwhile");
    await cache.close();
  });

  test("a load overtaken by another process's write of its key (heard on the bus) is not stored", async () => {
    const here = createCache({ layers: [memory(), redis({ url: server.url, prefix: "bus-load:", log: quiet })] });
    const there = createCache({ layers: [redis({ url: server.url, prefix: "bus-load:", log: quiet })] });
    const heard = new Set<string>();
    here.on("evict", (event) => event.reason === "remote" && heard.add(event.id));
    while (!heard.has(here.key("bus check").id)) {
      await there.set("bus check", 1);
      await Bun.sleep(10);
    }
    let release = () => {};
    const loading = here.getOrSet("q", () => new Promise<string>((resolve) => (release = () => resolve("loaded here"))));
    await there.set("q", "written there");
    while (!heard.has(here.key("q").id)) await Bun.sleep(2);
    release();
    expect(await loading).toBe("loaded here");
    expect(await here.get("q")).toBe("written there");
    await Promise.all([here.close(), there.close()]);
  });

  test("a stale-while-revalidate refresh that started before a set does not replace it", async () => {
    let now = 1_000_000;
    const cache = createCache({ layers: [memory(), memory({ name: "l2" })], now: () => now });
    await cache.set("q", "first", { ttl: 10, grace: "1h" });
    now += 20;
    let release = () => {};
    const options = { staleWhileRevalidate: true } as const;
    expect(await cache.getOrSet("q", () => new Promise<string>((r) => (release = () => r("refreshed"))), options)).toBe("first");
    await cache.set("q", "set meanwhile");
    release();
    await cache.close();
    expect(cache.layers.map((layer) => valueIn(layer, createKey("q")))).toEqual(["set meanwhile", "set meanwhile"]);
  });
});

describe("back-fill into Redis", () => {
  test("a back-fill from a lower layer never overwrites a newer Redis entry written by another process", async () => {
    const lower = memory({ name: "lower" });
    const writer = createCache({ layers: [redis({ url: server.url, prefix: "cas:", log: quiet })] });
    // The lower layer is asked once Redis missed, and answers once the other process's write has landed.
    const reader = createCache({
      layers: [redis({ url: server.url, prefix: "cas:", log: quiet }), lateOnce(lower, () => writer.set("q", "new"))],
    });
    const key = reader.key("q");
    lower.set(key, testEntry(key, "old"));
    expect(await reader.get("q")).toBe("old");
    await reader.close();
    expect(await writer.get("q")).toBe("new");
    await writer.close();
  });

  test("the layer's ifNewer write stores over an older entry or none, with its tags, and never over a newer one", async () => {
    const cache = createCache({ layers: [redis({ url: server.url, prefix: "ifnewer:", log: quiet })] });
    const layer = cache.layers[0]!;
    const key = cache.key("q");
    const [older, newer, newest] = [
      testEntry(key, "older"),
      testEntry(key, "newer"),
      testEntry(key, "newest", { tags: ["doc:1"] }),
    ];
    await layer.set(key, older, { ifNewer: true });
    expect(await cache.get("q")).toBe("older");
    await layer.set(key, newer);
    await layer.set(key, older, { ifNewer: true });
    expect(await cache.get("q")).toBe("newer");
    await layer.set(key, newest, { ifNewer: true });
    expect(await cache.get("q")).toBe("newest");
    await cache.invalidateTags(["doc:1"]);
    expect(await cache.get("q")).toBeUndefined();
    await cache.close();
  });
});

describe("memory layer ordering", () => {
  test("a back-fill (ifNewer) never replaces an entry with an older stamp; a plain write always lands", () => {
    const layer = memory();
    layer.attach!(testContext());
    const key = createKey("q");
    const older = testEntry(key, "older");
    const newer = testEntry(key, "newer");
    layer.set(key, newer);
    layer.set(key, older, { ifNewer: true });
    expect(valueIn(layer, key)).toBe("newer");
    layer.set(key, testEntry(key, "newest"), { ifNewer: true });
    expect(valueIn(layer, key)).toBe("newest");
    layer.set(key, older);
    expect(valueIn(layer, key)).toBe("older");
  });

  test("an entry stored for another key never blocks the key's own write", () => {
    const layer = memory();
    const key = createKey("q");
    const foreign = testEntry(createKey("other"), "foreign");
    const own = testEntry(key, "own");
    layer.set(key, { ...foreign, stamp: own.stamp + 1 });
    layer.set(key, own, { ifNewer: true });
    expect(valueIn(layer, key)).toBe("own");
  });
});

describe("back-fill into the file fallback", () => {
  test("with Redis down, a back-fill routed to the fallback never overwrites a newer entry there", async () => {
    const dead = await startRedis();
    await dead.stop();
    const fallback = file({ dir: mkdtempSync(join(tmpdir(), "ragcache-fallback-ifnewer-")) });
    const l2 = redis({
      url: dead.url,
      prefix: "down:",
      failureThreshold: 1,
      probeInterval: 60_000,
      invalidationBus: false,
      fallback,
      log: quiet,
    });
    const lower = memory({ name: "lower" });
    const cache = createCache({ layers: [l2, lateOnce(lower, async () => fallback.set(key, testEntry(key, "new")))] });
    cache.on("error", quiet);
    const key = cache.key("q");
    lower.set(key, testEntry(key, "old"));
    expect(await cache.get("q")).toBe("old");
    await cache.close();
    expect((await fallback.get(key))?.value).toBe("new");
    rmSync(fallback.dir, { recursive: true, force: true });
  });
});

describe("entries of another process whose clock runs ahead", () => {
  /** Redis holds an entry of "q" stamped by a process whose clock is a minute ahead of this one's. */
  async function aheadInRedis(prefix: string, late = false) {
    const l1 = memory();
    const l2 = redis({ url: server.url, prefix, log: quiet });
    const cache = createCache({ layers: [l1, late ? lateOnce(l2, () => Bun.sleep(50)) : l2] });
    const key = cache.key("q");
    const ahead = testEntry(key, "written ahead");
    await l2.set(key, { ...ahead, stamp: ahead.stamp + 60_000_000 });
    return { cache, l1, key };
  }

  test("a set here after that entry was back-filled into memory is what this process reads next", async () => {
    const { cache, l1, key } = await aheadInRedis("ahead-set:");
    expect(await cache.get("q")).toBe("written ahead");
    expect(valueIn(l1, key)).toBe("written ahead");
    await cache.set("q", "mine");
    expect(await cache.get("q")).toBe("mine");
    await cache.close();
  });

  test("a read of it that started before a set here is not back-filled over the set", async () => {
    const { cache, l1, key } = await aheadInRedis("ahead-late:", true);
    const late = cache.get("q");
    await Bun.sleep(10);
    await cache.set("q", "mine");
    expect(await late).toBe("written ahead");
    expect(valueIn(l1, key)).toBe("mine");
    await cache.close();
  });
});
