// Pins plugins/redis/index.ts with pool.ts, store.ts, codec.ts and options.ts, on a live Redis.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, createKey, isRagCacheError, loadConfig, type CacheLayer } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { layerConformance, testContext, testEntry } from "ragcache/testing";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server.stop());

const quiet = () => {};

layerConformance("redis layer", () => redis({ url: server.url, prefix: "conformance:", log: quiet }), {
  realTimeExpiryMs: 300,
  additionalTests: redisLayerTests,
});

/** What this layer does beyond the shared suite, in the same `describe`. */
function redisLayerTests(): void {
  test("entries are stored under the prefix as a compact JSON array with a PX expiry", async () => {
    const layer = redis({ url: server.url, prefix: "format:", log: quiet });
    layer.attach!(testContext());
    const key = createKey("what is rag?");
    await layer.set(key, testEntry(key, { docs: [1] }, { tags: ["doc:1"], expiresAt: Date.now() + 60_000 }));
    const raw = new Redis(server.url);
    try {
      const stored = JSON.parse((await raw.get(`format:${key.id}`))!);
      expect(stored).toEqual([
        3,
        expect.any(Number),
        key.digest,
        { docs: [1] },
        expect.any(Number),
        expect.any(Number),
        null,
        ["doc:1"],
      ]);
      const pttl = await raw.pttl(`format:${key.id}`);
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      expect(await raw.smembers("format:#tag:doc:1")).toEqual([key.id]);
    } finally {
      raw.disconnect();
      await layer.close!();
    }
  });

  test("the pool opens maxConnections connections and spreads concurrent commands over them", async () => {
    // Without the bus, whose own commands (hello, presence recount) would share the pool's count.
    const layer = redis({ url: server.url, prefix: "pool:", maxConnections: 4, invalidationBus: false, log: quiet });
    layer.attach!(testContext());
    await layer.get(createKey("warm-up"));
    await until(() => layer.stats().open === 4);
    const gets = await getsApart(layer, 64);
    expect(layer.stats()).toMatchObject({ connections: 4, open: 4, busy: 4, inFlight: 64, queued: 0, exhausted: false });
    await Promise.all(gets);
    expect(layer.stats()).toMatchObject({ busy: 0, inFlight: 0 });
    await layer.close!();
  });

  test("when every connection is full, commands queue, and staying full past exhaustedAfter raises pool-exhausted", async () => {
    const layer = redis({
      url: server.url,
      prefix: "pool:",
      maxConnections: 2,
      maxInFlightPerConnection: 1,
      exhaustedAfter: 20,
      commandTimeout: 2_000,
      log: quiet,
    });
    const context = testContext();
    layer.attach!(context);
    await layer.get(createKey("warm-up"));
    const blocked = await blockRedis(500);
    const gets = await getsApart(layer, 10);
    expect(layer.stats()).toMatchObject({ busy: 2, inFlight: 2, queued: 8, exhausted: false });
    await until(() => layer.stats().exhausted === true);
    expect(layer.stats()).toMatchObject({ queued: 8, exhausted: true });
    expect(context.events.filter((e) => e.event === "pool-exhausted")).toEqual([
      { event: "pool-exhausted", payload: { layer: "redis", connections: 2, queued: 8, ms: expect.any(Number) } },
    ]);
    await Promise.all([...gets, blocked.done]);
    expect(layer.stats()).toMatchObject({ queued: 0, inFlight: 0, exhausted: false });
    await layer.close!();
  });

  test("a command that times out is retried, and fails once the retries are used up", async () => {
    const key = createKey("slow");
    const patient = redis({ url: server.url, prefix: "timeout:", commandTimeout: 300, retries: 1, log: quiet });
    const impatient = redis({ url: server.url, prefix: "timeout:", commandTimeout: 300, retries: 0, log: quiet });
    await patient.set(key, testEntry(key, "v"));
    await impatient.get(key);
    const blocked = await blockRedis(400);
    const [retried, failed] = await Promise.all([
      Promise.resolve(patient.get(key)),
      Promise.resolve(impatient.get(key)).catch((e: Error) => e),
    ]);
    await blocked.done;
    expect(retried?.value).toBe("v");
    expect((failed as Error).message).toBe("Command timed out");
    await patient.close!();
    await impatient.close!();
  });

  test("a tag's set lives as long as its longest-lived entry, and invalidating it removes all its entries at once", async () => {
    const layer = redis({ url: server.url, prefix: "tags:", log: quiet });
    const raw = new Redis(server.url);
    const now = Date.now();
    await layer.set(createKey("a"), testEntry(createKey("a"), "a", { expiresAt: now + 60_000, tags: ["t"] }));
    await layer.set(createKey("b"), testEntry(createKey("b"), "b", { expiresAt: now + 10_000, tags: ["t"] }));
    expect(await raw.pttl("tags:#tag:t")).toBeGreaterThan(50_000);
    await Promise.all([
      ...Array.from({ length: 2_500 }, (_, i) =>
        layer.set(createKey(`bulk ${i}`), testEntry(createKey(`bulk ${i}`), i, { tags: ["t", `own ${i}`] })),
      ),
      layer.set(createKey("last"), testEntry(createKey("last"), "last", { tags: ["t"] })),
    ]);
    expect(await raw.scard("tags:#tag:t")).toBe(2_503);
    await layer.invalidateTags(["t"]);
    expect(await raw.exists("tags:#tag:t")).toBe(0);
    expect((await raw.keys("tags:default:*")).length).toBe(0);
    raw.disconnect();
    await layer.close!();
  });

  test("a value that is not a ragcache entry is a miss with an E_LAYER_FAILED error, not a crash", async () => {
    const layer = redis({ url: server.url, prefix: "foreign:", log: quiet });
    const raw = new Redis(server.url);
    await raw.set(`foreign:${createKey("q").id}`, "{not json");
    const error = await Promise.resolve(layer.get(createKey("q"))).catch((e: unknown) => e);
    expect(isRagCacheError(error, "E_LAYER_FAILED")).toBe(true);
    const cache = createCache({ layers: [redis({ url: server.url, prefix: "foreign:", log: quiet })] });
    expect(await cache.get("q")).toBeUndefined();
    expect(cache.stats().layers[0]).toMatchObject({ state: "up", connections: 2 });
    raw.disconnect();
    await layer.close!();
    await cache.close();
  });

  test("config: redis with a nested file fallback loads from plain data, env sets the pool size and health interval", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragcache-config-"));
    const options = await loadConfig(
      { layers: [{ use: "memory" }, { use: "redis", url: server.url, prefix: "config:", fallback: { use: "file", dir } }] },
      { env: { RAG_REDIS_MAX_CONNECTIONS: "3", RAG_HEALTH_CHECK_INTERVAL: "7" } },
    );
    const cache = createCache(options);
    await cache.set("q", "v");
    expect(await cache.get("q")).toBe("v");
    const stats = cache.stats().layers[1] as Record<string, unknown>;
    expect(stats).toMatchObject({ name: "redis", connections: 3, healthCheckInterval: 7, fallback: { dir } });
    await cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("config: invalid redis options are all reported at start", async () => {
    const error = await loadConfig({
      layers: [{ use: "redis", maxConnections: 0, url: "http://x", fallback: { use: "file", maxBytes: -1 } }],
    }).catch((e: unknown) => e);
    expect(isRagCacheError(error, "E_CONFIG_INVALID")).toBe(true);
    const paths = ((error as { details: { path: string }[] }).details ?? []).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["layers.0.maxConnections", "layers.0.url"]));
  });
}

/** Makes the server busy for `ms` (a Lua loop), so that every other client waits; resolves with the end of the block once it has begun. */
async function blockRedis(ms: number): Promise<{ done: Promise<void> }> {
  const blocker = new Redis(server.url);
  await blocker.ping();
  const script =
    "local t = redis.call('TIME'); local stop = t[1] * 1000000 + t[2] + tonumber(ARGV[1]) * 1000; repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= stop";
  const done = blocker.eval(script, 0, ms).then(() => blocker.disconnect());
  await Bun.sleep(10);
  return { done };
}

/** Lookups one microtask turn apart, so that each is a command of its own (lookups of one turn share an MGET). */
async function getsApart(layer: CacheLayer, count: number): Promise<Promise<unknown>[]> {
  const gets: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    gets.push(Promise.resolve(layer.get(createKey(`q${i}`))));
    await Promise.resolve();
  }
  return gets;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await Bun.sleep(5);
}
