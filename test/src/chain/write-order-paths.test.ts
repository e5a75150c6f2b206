// Pins the ordering rule of src/chain/cache.ts (newest writes, invalidations) on the semantic back-fill (plugins/chroma),
// warming (plugins/warming/run.ts) and stale-while-revalidate refreshes, over a real Redis and a real Chroma.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCache, type Cache, type CacheKey, type CacheLayer, type LayerHit } from "ragcache";
import { chroma } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { warming } from "ragcache/warming";
import { startChroma, type ChromaServer } from "../../support/chroma-server.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const quiet = () => {};
let server: RedisServer;
let chromaServer: ChromaServer;
beforeAll(async () => {
  [server, chromaServer] = await Promise.all([startRedis(), startChroma()]);
});
afterAll(() => Promise.all([server.stop(), chromaServer.stop()]));

const valueIn = (layer: CacheLayer, key: CacheKey) => (layer.get(key) as LayerHit | undefined)?.value;
let collections = 0;

const STORED = "How do I reset my password?";
const PARAPHRASE = "How can I reset my password?";

/**
 * Memory over a chroma layer that answers a lookup only after `meanwhile` ran: the answer predates it,
 * as when a slow semantic read is overtaken.
 */
async function semanticChain(meanwhile: (cache: Cache) => Promise<void>) {
  const semantic = chroma({ url: chromaServer.url, collection: `order-${process.pid}-${++collections}`, timeout: "5s" });
  const l1 = memory();
  let overtake = false;
  const late: CacheLayer = {
    ...semantic,
    async get(key) {
      const hit = await semantic.get(key);
      if (overtake) await meanwhile(cache);
      return hit;
    },
  };
  const cache: Cache = createCache({ layers: [l1, late], layerTimeout: "10s" });
  await cache.set(STORED, "old answer", { tags: ["doc:1"] });
  await semantic.flush();
  overtake = true;
  return { cache, l1 };
}

describe("semantic back-fill", () => {
  test("a semantic hit read before a set of the query's own key is served but not back-filled over it", async () => {
    const { cache, l1 } = await semanticChain((c) => c.set(PARAPHRASE, "new answer"));
    expect(await cache.get(PARAPHRASE)).toBe("old answer");
    expect(valueIn(l1, cache.key(PARAPHRASE))).toBe("new answer");
    await cache.close();
  }, 30_000);

  test("a semantic hit read before an invalidation of its tag is served but not back-filled", async () => {
    const { cache, l1 } = await semanticChain((c) => c.invalidateTags(["doc:1"]));
    expect(await cache.get(PARAPHRASE)).toBe("old answer");
    expect(valueIn(l1, cache.key(PARAPHRASE))).toBeUndefined();
    await cache.close();
  }, 30_000);
});

/** A memory + Redis chain whose next load waits until `release()`. */
function slowLoads(prefix: string, plugins: Parameters<typeof createCache>[0]["plugins"] = []) {
  const cache = createCache({ layers: [memory(), redis({ url: server.url, prefix, log: quiet })], plugins });
  let release = () => {};
  const loader = () => new Promise<string>((resolve) => (release = () => resolve("loaded")));
  return { cache, loader, release: () => release() };
}

describe("warming", () => {
  for (const [what, meanwhile, expected] of [
    ["a set of its key", (cache: Cache) => cache.set("q", "set meanwhile", { namespace: "docs" }), "set meanwhile"],
    ["a clear of its namespace", (cache: Cache) => cache.clear("docs"), undefined],
  ] as const) {
    test(`a warm load overtaken by ${what} stores nothing`, async () => {
      let load: () => Promise<string> = async () => "";
      const w = warming({ schedule: false, warmList: [{ namespace: "docs", query: "q" }], loaders: { docs: () => load() } });
      const { cache, loader, release } = slowLoads(`warm-${what.length}:`, [w]);
      load = loader;
      await cache.ready;
      const pass = w.run();
      await Bun.sleep(5);
      await meanwhile(cache);
      release();
      expect(await pass).toMatchObject({ done: 1, failed: 0 });
      expect(await cache.get("q", { namespace: "docs" })).toBe(expected);
      await cache.close();
    });
  }
});

describe("stale-while-revalidate", () => {
  test("a refresh that started before an invalidation of its tag stores nothing", async () => {
    const { cache, loader, release } = slowLoads("swr-tags:");
    await cache.set("q", "first", { ttl: 30, grace: "1h", tags: ["doc:1"] });
    await Bun.sleep(40);
    const options = { staleWhileRevalidate: true, tags: ["doc:1"] } as const;
    expect(await cache.getOrSet("q", loader, options)).toBe("first");
    await cache.invalidateTags(["doc:1"]);
    release();
    await cache.close();
    const reader = createCache({ layers: [redis({ url: server.url, prefix: "swr-tags:", log: quiet })] });
    expect(await reader.get("q", { allowStale: true })).toBeUndefined();
    await reader.close();
  });
});
