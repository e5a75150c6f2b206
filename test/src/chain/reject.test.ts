// Pins src/chain/reject.ts and Cache.reject: a semantic hit of lookup or resolve corrected in one call, on a live Chroma and Redis.
import { afterAll, describe, expect, test } from "bun:test";
import { createCache, createKey, isRagCacheError, type CacheLayer, type Resolution } from "ragcache";
import { chroma } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { chromaForTests } from "../../support/chroma-server.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const server = chromaForTests("reject");
let redisServer: RedisServer | undefined;
afterAll(() => redisServer?.stop());

const STORED = "how do i reset my password";
const ASKED = "how can i reset my password";

async function chain() {
  redisServer ??= await startRedis();
  const semantic = chroma({ url: server.url, collection: server.collection(), timeout: "5s" });
  const exact = redis({ url: redisServer.url, prefix: `reject-${crypto.randomUUID()}:`, log: () => {} });
  const cache = createCache({ layers: [memory(), exact, semantic], layerTimeout: "10s" });
  return { cache, semantic, exact };
}

/** The chain back-fills a semantic hit into the exact layers, Redis in the background: wait for it. */
async function backFilled(exact: CacheLayer, query: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await exact.get(createKey(query))) return;
    await Bun.sleep(10);
  }
  throw new Error(`"${query}" was not back-filled into Redis`);
}

const failure = async (work: () => Promise<unknown>) =>
  work().then(
    () => undefined,
    (error: unknown) => (isRagCacheError(error) ? error.message : error),
  );

describe("cache.reject", () => {
  test("a wrong semantic hit of lookup is recorded and its back-filled copies leave memory and Redis at once", async () => {
    const { cache, semantic, exact } = await chain();
    await cache.set(STORED, "answer");
    await semantic.flush();
    const hit = await cache.lookup(ASKED);
    expect(hit).toMatchObject({ value: "answer", layer: "chroma", matchedText: STORED, key: createKey(ASKED) });
    await backFilled(exact, ASKED);
    expect(await cache.lookup(ASKED)).toMatchObject({ layer: "memory" });

    await cache.reject(hit!);
    expect(await cache.lookup(ASKED)).toBeUndefined();
    expect(await exact.get(createKey(ASKED))).toBeUndefined();
    expect((await semantic.explain(ASKED)).refused).toMatchObject([
      { matchedText: STORED, reason: "judged wrong for this query (feedback)" },
    ]);
    expect(semantic.stats!()).toMatchObject({ rejected: 1 });
    // Only that pair: the stored question still answers itself and other paraphrases.
    expect(await cache.lookup(STORED)).toMatchObject({ value: "answer" });
    expect(await cache.lookup("hi, how can I reset my password please")).toMatchObject({ value: "answer", layer: "chroma" });
    await cache.close();
  });

  test("a semantic hit of resolve in a namespace with parameters is rejected for that namespace and those parameters only", async () => {
    const { cache, semantic } = await chain();
    const options = { namespace: "answer", params: { model: "m1" } };
    await cache.set(STORED, "answer", options);
    await semantic.flush();
    const resolved = await cache.resolve(ASKED, () => "loaded", options);
    expect(resolved).toMatchObject({ status: "hit", layer: "chroma", matchedText: STORED });

    await cache.reject(resolved);
    expect(await cache.resolve(ASKED, () => "loaded", options)).toMatchObject({ value: "loaded", status: "miss" });
    await cache.set(STORED, "other answer", { namespace: "answer", params: { model: "m2" } });
    await semantic.flush();
    expect(await cache.lookup(ASKED, { namespace: "answer", params: { model: "m2" } })).toMatchObject({
      value: "other answer",
      matchedText: STORED,
    });
    await cache.close();
  });

  test("anything but a semantic layer's hit is a typed error naming what is missing, and nothing is deleted", async () => {
    const { cache, semantic } = await chain();
    await cache.set(STORED, "answer");
    await semantic.flush();
    const exactHit = await cache.lookup(STORED);
    expect(exactHit).toMatchObject({ layer: "memory" });
    expect(await failure(() => cache.reject(exactHit!))).toMatch(/takes a semantic hit of cache.lookup or cache.resolve/);
    expect(await failure(() => cache.reject(undefined as unknown as Resolution))).toMatch(/takes a semantic hit/);
    const forged = { ...exactHit!, matchedText: STORED };
    expect(await failure(() => cache.reject(forged))).toMatch(/layer "memory" takes no feedback/);
    expect(await cache.lookup(STORED)).toMatchObject({ value: "answer", layer: "memory" });
    await cache.close();
  });
});
