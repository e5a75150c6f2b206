// Pins plugins/warming/index.ts with run.ts, loaders.ts, warm-list.ts and frequency-store.ts.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, createKey, RESERVED_NAMESPACE, type Cache, type CacheLayer, type KeyParams, type LayerHit } from "ragcache";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { warming, type WarmingOptions, type WarmingProgress } from "ragcache/warming";

const open: Cache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((cache) => cache.close()));
});

async function setup(options: WarmingOptions, layers: CacheLayer[] = [memory({ name: "l1" }), memory({ name: "l2" })]) {
  const w = warming({ schedule: false, ...options });
  const cache = createCache({ layers, plugins: [w], sampleEvery: 1 });
  open.push(cache);
  await cache.ready;
  const events: WarmingProgress[] = [];
  cache.on("warming", (progress) => void events.push(progress));
  return { w, cache, events };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("warming plugin", () => {
  test("learns frequent queries from lookups and warms the top N through every layer", async () => {
    const calls: string[] = [];
    const { w, cache, events } = await setup({
      topN: 2,
      loaders: { docs: (query, params) => (calls.push(query), { answer: query, params }) },
    });
    for (const [query, times] of [
      ["popular", 5],
      ["second", 3],
      ["rare", 1],
    ] as const) {
      for (let i = 0; i < times; i++) await cache.get(query, { namespace: "docs", params: { k: 3 } });
    }
    await cache.get("no loader here", { namespace: "other" });
    const result = await w.run();
    expect(result).toMatchObject({ state: "finished", trigger: "manual", done: 2, total: 2, failed: 0, running: false });
    expect(calls).toEqual(["popular", "second"]);
    const key = createKey("popular", { namespace: "docs", params: { k: 3 } });
    for (const layer of cache.layers) expect((await layer.get(key))?.value).toEqual({ answer: "popular", params: { k: 3 } });
    expect(events.map((e) => e.state)).toEqual(["started", "progress", "progress", "finished"]);
  });

  test("a failing loader does not stop the pass: the failure is counted, reported and the rest is warmed", async () => {
    const { w, cache } = await setup({
      warmList: ["a", "boom", "c"].map((query) => ({ namespace: "docs", query })),
      loaders: {
        docs: (query) => {
          if (query === "boom") throw new Error("upstream down");
          return query.toUpperCase();
        },
      },
    });
    const errors: string[] = [];
    cache.on("error", ({ layer, error }) => void errors.push(`${layer}: ${error.message}`));
    const result = await w.run();
    expect(result).toMatchObject({
      state: "finished",
      done: 3,
      failed: 1,
      failures: [{ namespace: "docs", query: "boom", error: "upstream down" }],
    });
    expect(errors).toEqual(["warming: upstream down"]);
    expect(await cache.get("c", { namespace: "docs" })).toBe("C");
  });

  test("priority order and the concurrency limit hold; requests are answered while a pass runs", async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const warmList = Array.from({ length: 12 }, (_, i) => ({ namespace: "docs", query: `q${i}`, priority: i % 3 }));
    const { w, cache } = await setup({
      warmList,
      concurrency: 3,
      loaders: {
        docs: async (query) => {
          started.push(query);
          most = Math.max(most, ++running);
          await sleep(10);
          running--;
          return query;
        },
      },
    });
    await cache.set("hot", 1);
    const pass = w.run();
    await sleep(5);
    expect(cache.get("hot")).toBe(1);
    expect(w.status().running).toBe(true);
    await pass;
    expect(most).toBe(3);
    const priorities = started.map((query) => Number(query.slice(1)) % 3);
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
  });

  test("cancel stops the pass: items not started are never loaded", async () => {
    const loaded: string[] = [];
    const { w } = await setup({
      concurrency: 1,
      warmList: Array.from({ length: 20 }, (_, i) => ({ query: `q${i}` })),
      loaders: { default: async (query) => (await sleep(20), loaded.push(query), query) },
    });
    const pass = w.run();
    await sleep(50);
    w.cancel();
    const result = await pass;
    expect(result.state).toBe("cancelled");
    expect(result.done).toBeLessThan(5);
    await sleep(30);
    expect(loaded.length).toBeLessThan(6);
    const controller = new AbortController();
    controller.abort();
    expect((await w.run({ signal: controller.signal })).state).toBe("cancelled");
  });

  test("a running pass is joined, not started twice", async () => {
    const { w } = await setup({ warmList: [{ query: "q" }], loaders: { default: async () => (await sleep(20), 1) } });
    const first = w.run();
    expect(w.run()).toBe(first);
    await first;
  });

  test("the low-hit-rate event starts a pass, at most once per cooldown", async () => {
    const m = metrics({ window: "1m", minRequests: 5, log: () => {} });
    const w = warming({ schedule: false, cooldown: "1h", warmList: [{ query: "q" }], loaders: { default: (query) => query } });
    const cache = createCache({ layers: [memory()], plugins: [m, w], sampleEvery: 1 });
    open.push(cache);
    await cache.ready;
    const triggers: string[] = [];
    cache.on("warming", (progress) => void (progress.state === "started" && triggers.push(progress.trigger)));
    cache.emit("low-hit-rate", { hitRate: 0.1, threshold: 0.6, requests: 50, windowMs: 60_000 });
    await w.run();
    cache.emit("low-hit-rate", { hitRate: 0.1, threshold: 0.6, requests: 50, windowMs: 60_000 });
    for (let i = 0; i < 10; i++) await cache.get(`miss ${i}`);
    m.check();
    await sleep(5);
    expect(triggers).toEqual(["low-hit-rate"]);
    expect(m.snapshot().warming).toMatchObject({ runs: { "low-hit-rate": 1 }, running: false, done: 1, total: 1 });
  });

  test("an unreadable or invalid warm list fails setup with every problem listed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ragcache-warm-"));
    const path = join(dir, "warm_queries.json");
    await writeFile(path, JSON.stringify([{ query: "" }, { namespace: "docs", query: "ok", extra: 1 }]));
    const cache = createCache({ layers: [memory()], plugins: [warming({ schedule: false, warmList: path })] });
    const error = await cache.ready.catch((e) => e);
    await cache.close();
    await rm(dir, { recursive: true });
    expect(error.code).toBe("E_CONFIG_INVALID");
    expect(error.message).toContain("[0.query]");
    expect(error.message).toContain("extra");
    expect(() => warming({ schedule: "not a cron" })).toThrow("not a cron pattern");
    expect(() => warming({ hour: 24 })).toThrow("hour: Too big: expected number to be <=23");
  });
});

describe("warming frequency table", () => {
  const learn = async (cache: Cache, queries: [string, number][], params?: KeyParams) => {
    for (const [query, times] of queries) for (let i = 0; i < times; i++) await cache.get(query, { namespace: "docs", params });
  };

  test("survives a restart in a state file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ragcache-warm-"));
    const stateFile = join(dir, "frequency.json");
    const loaders = { docs: (query: string) => query };
    const first = await setup({ stateFile, loaders });
    await learn(
      first.cache,
      [
        ["b", 2],
        ["a", 4],
      ],
      { k: 1 },
    );
    await first.cache.close();
    const second = await setup({ stateFile, loaders });
    expect(second.w.status()).toMatchObject({ tracked: 2, persistence: `file:${stateFile}` });
    expect((await second.w.plan()).map(({ query, params, count }) => ({ query, params, count }))).toEqual([
      { query: "a", params: { k: 1 }, count: 4 },
      { query: "b", params: { k: 1 }, count: 2 },
    ]);
    await rm(dir, { recursive: true });
  });

  /** A chain over a persistent layer that learned "x" three times, closed; `restart` opens the next one over that layer. */
  async function learnedInDurableLayer() {
    const durable = { ...memory({ name: "durable" }), persistent: true } satisfies CacheLayer;
    const loaders = { docs: (query: string) => query };
    const first = await setup({ loaders }, [memory(), durable]);
    await learn(first.cache, [["x", 3]]);
    await first.cache.close();
    return { durable, restart: () => setup({ loaders }, [memory(), durable]) };
  }

  test("survives a restart in the chain's persistent layer, under a reserved namespace", async () => {
    const { restart } = await learnedInDurableLayer();
    const second = await restart();
    expect(second.w.status().persistence).toBe("layer:durable");
    expect((await second.w.plan()).map((item) => [item.query, item.count])).toEqual([["x", 3]]);
    expect((await second.w.plan()).every((item) => item.namespace === "docs")).toBe(true);
  });

  test("a table entry that carries another key's digest is not read (the layer is read directly, without the chain)", async () => {
    const { durable, restart } = await learnedInDurableLayer();
    const table = createKey("frequency table of warming", { namespace: RESERVED_NAMESPACE });
    const saved = durable.get(table) as LayerHit;
    durable.set(table, { ...saved, digest: createKey("another question").digest, stamp: saved.stamp + 1 });
    const second = await restart();
    expect(second.w.status().tracked).toBe(0);
  });
});
