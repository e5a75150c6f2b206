// Pins src/chain/cache.ts with walk.ts, layer-call.ts, events.ts and src/entry.ts.
import { describe, expect, test } from "bun:test";
import { createCache, isRagCacheError, type CacheEvents, type CacheLayer, type CachePlugin } from "ragcache";
import { memory } from "ragcache/memory";
import { chaos, manualClock } from "ragcache/testing";

/** A memory layer that answers asynchronously, standing in for a remote L2. */
function remote(name = "remote") {
  const layer = chaos(memory({ name }));
  layer.delay(1);
  return layer;
}

function recorder<E extends keyof CacheEvents & string>(cache: ReturnType<typeof createCache>, event: E) {
  const seen: CacheEvents[E][] = [];
  cache.on(event, (payload) => void seen.push(payload));
  return seen;
}

describe("chain: reads and writes", () => {
  test("set writes through every layer and get reads the fastest", async () => {
    const l1 = memory({ name: "l1" });
    const l2 = remote("l2");
    const cache = createCache({ layers: [l1, l2] });
    const hits = recorder(cache, "hit");
    await cache.set("q", { docs: [1] });
    expect(l1.size).toBe(1);
    expect((await l2.get(cache.key("q")))?.value).toEqual({ docs: [1] });
    expect(await cache.get("q")).toEqual({ docs: [1] });
    expect(hits.map((h) => h.layer)).toEqual(["l1"]);
  });

  test("an L1 hit is answered synchronously, without a promise", async () => {
    const cache = createCache({ layers: [memory(), remote()] });
    await cache.set("q", 1);
    expect(cache.get("q")).toBe(1);
    expect(cache.getOrSet("q", () => 2)).toBe(1);
  });

  test("a hit in a lower layer is back-filled above with the remaining TTL", async () => {
    const clock = manualClock();
    const l1 = memory({ name: "l1" });
    const l2 = remote("l2");
    const cache = createCache({ layers: [l1, l2], now: clock.now });
    await cache.set("q", "v", { ttl: "10m" });
    const written = (await l2.get(cache.key("q")))!;
    await l1.clear();
    clock.advance("4m");
    expect(await cache.get("q")).toBe("v");
    await cache.close();
    const backfilled = l1.get(cache.key("q")) as { expiresAt: number };
    expect(backfilled.expiresAt).toBe(written.expiresAt);
    expect(backfilled.expiresAt - clock.now()).toBe(6 * 60_000);
  });

  test("expired entries are misses, by the injected clock", async () => {
    const clock = manualClock();
    const cache = createCache({ layers: [memory()], now: clock.now, defaultTtl: "30s" });
    await cache.set("q", "v");
    clock.advance("31s");
    expect(await cache.get("q")).toBeUndefined();
  });

  test("delete, clear(namespace) and invalidateTags reach every layer", async () => {
    const l1 = memory({ name: "l1" });
    const l2 = remote("l2");
    const cache = createCache({ layers: [l1, l2] });
    await cache.set("a", 1, { namespace: "x", tags: ["doc:1"] });
    await cache.set("b", 2, { namespace: "x" });
    await cache.set("c", 3, { namespace: "y" });
    await cache.set("d", 4, { namespace: "y", tags: ["doc:2"] });
    await cache.invalidateTags(["doc:1"]);
    await cache.delete("d", { namespace: "y" });
    await cache.clear("x");
    for (const layer of [l1, l2]) {
      expect(await layer.get(cache.key("a", { namespace: "x" }))).toBeUndefined();
      expect(await layer.get(cache.key("b", { namespace: "x" }))).toBeUndefined();
      expect((await layer.get(cache.key("c", { namespace: "y" })))?.value).toBe(3);
      expect(await layer.get(cache.key("d", { namespace: "y" }))).toBeUndefined();
    }
  });

  test("tags may be computed from the loaded value", async () => {
    const cache = createCache({ layers: [memory()] });
    await cache.getOrSet("q", () => ({ ids: ["7", "8"] }), { tags: (value) => value.ids.map((id) => `doc:${id}`) });
    await cache.invalidateTags(["doc:8"]);
    expect(await cache.get("q")).toBeUndefined();
  });

  test("namespaces and parameters isolate entries", async () => {
    const cache = createCache({ layers: [memory()] });
    await cache.set("q", "retrieval k5", { namespace: "retrieval", params: { k: 5 } });
    await cache.set("q", "retrieval k10", { namespace: "retrieval", params: { k: 10 } });
    await cache.set("q", "answer", { namespace: "answer" });
    expect(await cache.get("q", { namespace: "retrieval", params: { k: 5 } })).toBe("retrieval k5");
    expect(await cache.get("q", { namespace: "retrieval", params: { k: 10 } })).toBe("retrieval k10");
    expect(await cache.get("q", { namespace: "retrieval" })).toBeUndefined();
    expect(await cache.get("q", { namespace: "answer" })).toBe("answer");
  });
});

describe("chain: getOrSet", () => {
  test("1000 concurrent callers of one key run the loader once", async () => {
    const cache = createCache({ layers: [memory(), remote()] });
    let runs = 0;
    const loader = async () => {
      runs++;
      await Bun.sleep(20);
      return { answer: 42 };
    };
    const values = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet("same question", loader)));
    expect(runs).toBe(1);
    expect(values.every((v) => v.answer === 42)).toBe(true);
  });

  test("1000 concurrent callers of one missing key ask the slower layer once, then share one load", async () => {
    const l2 = remote();
    let lookups = 0;
    const lookup = l2.get.bind(l2);
    l2.get = (key) => {
      lookups++;
      return lookup(key);
    };
    const cache = createCache({ layers: [memory(), l2] });
    let runs = 0;
    const loader = async () => {
      runs++;
      return { answer: 42 };
    };
    const values = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet("same question", loader)));
    expect({ lookups, runs }).toEqual({ lookups: 1, runs: 1 });
    expect(values.every((v) => v.answer === 42)).toBe(true);
    expect(await cache.getOrSet("same question", loader)).toEqual({ answer: 42 });
    expect(runs).toBe(1);
  });

  test("a loader error reaches every waiter and is not cached", async () => {
    const cache = createCache({ layers: [memory()] });
    let runs = 0;
    const failing = async () => {
      runs++;
      await Bun.sleep(5);
      throw new Error("upstream down");
    };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => cache.getOrSet("q", failing)));
    expect(results.every((r) => r.status === "rejected" && (r.reason as Error).message === "upstream down")).toBe(true);
    expect(runs).toBe(1);
    expect(await cache.getOrSet("q", () => "recovered")).toBe("recovered");
  });

  test("grace: an expired entry is served when the loader fails (stale-if-error)", async () => {
    const clock = manualClock();
    const cache = createCache({ layers: [memory()], now: clock.now });
    const stale = recorder(cache, "stale");
    await cache.set("q", "old", { ttl: "1m", grace: "1h" });
    clock.advance("5m");
    expect(await cache.get("q")).toBeUndefined();
    expect(await cache.get("q", { allowStale: true })).toBe("old");
    expect(await cache.getOrSet<string>("q", () => Promise.reject(new Error("down")))).toBe("old");
    expect(stale).toEqual([{ key: cache.key("q"), layer: "memory", reason: "loader-error" }]);
    clock.advance("2h");
    await expect(Promise.resolve(cache.getOrSet("q", () => Promise.reject(new Error("down"))))).rejects.toThrow("down");
  });

  test("grace with staleWhileRevalidate answers at once and refreshes in the background", async () => {
    const clock = manualClock();
    const cache = createCache({ layers: [memory()], now: clock.now });
    await cache.set("q", "old", { ttl: "1m", grace: "1h" });
    clock.advance("2m");
    const resolution = await cache.resolve("q", async () => "new", { staleWhileRevalidate: true, ttl: "1m" });
    expect(resolution).toMatchObject({ value: "old", status: "stale", layer: "memory" });
    await cache.close();
    expect(cache.layers[0]!.get(cache.key("q"))).toMatchObject({ value: "new" });
  });

  test("refresh skips the lookup and replaces the entry", async () => {
    const cache = createCache({ layers: [memory()] });
    await cache.set("q", "old");
    expect(await cache.getOrSet("q", () => "new", { refresh: true })).toBe("new");
    expect(await cache.get("q")).toBe("new");
  });

  test("resolve says where the value came from", async () => {
    const cache = createCache({ layers: [memory({ name: "l1" }), remote("l2")] });
    expect(await cache.resolve("q", () => 1)).toEqual({ value: 1, status: "miss" });
    expect(await cache.resolve("q", () => 2)).toMatchObject({ value: 1, status: "hit", layer: "l1" });
    await cache.layers[0]!.clear();
    expect(await cache.resolve("q", () => 3)).toMatchObject({ value: 1, status: "hit", layer: "l2" });
  });
});

describe("chain: failing layers degrade to misses", () => {
  test("a throwing layer is a miss and an error event, never an exception", async () => {
    const broken = chaos(memory({ name: "broken" }));
    const cache = createCache({ layers: [broken, memory({ name: "ok" })] });
    const errors = recorder(cache, "error");
    await cache.set("q", "v");
    broken.alwaysThrow();
    expect(await cache.get("q")).toBe("v");
    await cache.set("q2", "v2");
    await cache.delete("q");
    await cache.invalidateTags(["t"]);
    await cache.clear();
    expect(await cache.getOrSet("q3", () => "loaded")).toBe("loaded");
    expect(errors.length).toBeGreaterThanOrEqual(6);
    expect(errors.every((e) => e.layer === "broken")).toBe(true);
  });

  test("the first layer is asked once per lookup: one call on a miss, one error event when it throws", async () => {
    const first = chaos(memory({ name: "first" }));
    let asked = 0;
    const counted: CacheLayer = Object.assign(Object.create(first), {
      get: (key: Parameters<CacheLayer["get"]>[0]) => (asked++, first.get(key)),
    });
    const cache = createCache({ layers: [counted, memory({ name: "second" })], log: false });
    const errors = recorder(cache, "error");
    await cache.set("q", "v");
    await first.delete(cache.key("q"));
    expect(await cache.get("q")).toBe("v");
    expect(asked).toBe(1);
    await first.delete(cache.key("q"));
    first.alwaysThrow();
    expect(await cache.get("q")).toBe("v");
    expect(await cache.getOrSet("q", () => "loaded")).toBe("v");
    expect(asked).toBe(3);
    expect(errors.filter((error) => error.operation === "get")).toHaveLength(2);
  });

  test("a hanging layer times out into a miss with E_LAYER_TIMEOUT", async () => {
    const hanging = chaos(memory({ name: "hanging" }));
    const cache = createCache({ layers: [memory({ name: "l1" }), hanging], layerTimeout: 50 });
    const errors = recorder(cache, "error");
    hanging.hang();
    const started = performance.now();
    expect(await cache.get("q")).toBeUndefined();
    expect(await cache.getOrSet("q", () => "v")).toBe("v");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(errors[0]!.layer).toBe("hanging");
    expect(isRagCacheError(errors[0]!.error, "E_LAYER_TIMEOUT")).toBe(true);
  });

  test("a layer's own timeout overrides the chain's", async () => {
    const slow = chaos(memory({ name: "slow" }));
    const layer: CacheLayer = Object.assign(Object.create(slow), { timeout: 10 });
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    slow.delay(200);
    const started = performance.now();
    expect(await cache.get("q")).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(150);
  });

  test("a layer that answers after its deadline is reported once, with the key, and changes nothing after", async () => {
    const late = chaos(memory({ name: "late" }));
    const failsLate: CacheLayer = Object.assign(Object.create(memory({ name: "fails-late" })), {
      get: () => Bun.sleep(60).then(() => Promise.reject(new Error("fails late"))),
    });
    const unbounded: CacheLayer = Object.assign(Object.create(memory({ name: "unbounded" })), {
      timeout: Infinity,
      get: () => Promise.reject(new Error("unbounded is broken")),
    });
    const cache = createCache({ layers: [memory({ name: "l1" }), late, failsLate, unbounded], layerTimeout: 20 });
    const errors = recorder(cache, "error");
    const sets = recorder(cache, "set");
    late.delay(60);
    expect(await cache.get("q")).toBeUndefined();
    await cache.set("q", "v");
    expect(sets.map(({ layers }) => layers)).toEqual([3]);
    late.alwaysThrow();
    expect(await cache.get("other")).toBeUndefined();
    await Bun.sleep(150);
    expect(errors.map(({ layer, operation, key }) => [layer, operation, key?.text])).toEqual([
      ["late", "get", "q"],
      ["fails-late", "get", "q"],
      ["unbounded", "get", "q"],
      ["late", "set", "q"],
      ["late", "get", "other"],
      ["fails-late", "get", "other"],
      ["unbounded", "get", "other"],
    ]);
    const timedOut = errors.filter(({ error }) => isRagCacheError(error, "E_LAYER_TIMEOUT"));
    expect(timedOut.map(({ layer, operation }) => `${layer} ${operation}`)).toEqual([
      "late get",
      "fails-late get",
      "late set",
      "fails-late get",
    ]);
  });

  test("a layer whose promise throws from its then is a reported miss, with a deadline or without", async () => {
    class ThrowingThen<T> extends Promise<T> {
      override then(): never {
        throw new Error("then throws");
      }
    }
    const throwing = (name: string, timeout?: number): CacheLayer =>
      Object.assign(Object.create(memory({ name })), { timeout, get: () => new ThrowingThen((resolve) => resolve(undefined)) });
    const cache = createCache({ layers: [throwing("bounded"), throwing("unbounded", Infinity)] });
    const errors = recorder(cache, "error");
    expect(await cache.get("q")).toBeUndefined();
    expect(errors.map(({ layer, error }) => [layer, error.message])).toEqual([
      ["bounded", "then throws"],
      ["unbounded", "then throws"],
    ]);
  });

  test("a throwing event listener does not break the operation", async () => {
    const cache = createCache({ layers: [memory()] });
    const errors = recorder(cache, "error");
    cache.on("set", () => {
      throw new Error("listener bug");
    });
    await cache.set("q", 1);
    expect(await cache.get("q")).toBe(1);
    expect(errors[0]!.error.message).toBe("listener bug");
  });
});

describe("chain: limits, events and lifecycle", () => {
  test("every plugin's setup starts in the constructor: usable before ready; one failing rejects ready, the rest are torn down", async () => {
    const attached: string[] = [];
    const tornDown: string[] = [];
    const plugin = (name: string, fail = false): CachePlugin => ({
      name,
      async setup() {
        attached.push(name);
        await Bun.sleep(5);
        if (fail) throw new Error(`${name} could not start`);
        return () => void tornDown.push(name);
      },
    });
    const cache = createCache({ layers: [memory()], plugins: [plugin("a"), plugin("b", true), plugin("c")], log: false });
    expect(attached).toEqual(["a", "b", "c"]);
    await expect(cache.ready).rejects.toThrow("b could not start");
    await cache.close();
    expect(tornDown.sort()).toEqual(["a", "c"]);
  });

  test("a value above maxValueBytes is refused with a typed error that names the limit", async () => {
    const cache = createCache({ layers: [memory()], maxValueBytes: 100 });
    const error = await cache.set("q", "x".repeat(200)).catch((e) => e);
    expect(isRagCacheError(error, "E_VALUE_TOO_LARGE")).toBe(true);
    expect(error.message).toContain("maxValueBytes 100");
    expect(await cache.get("q")).toBeUndefined();
  });

  test("values that are not JSON are refused", async () => {
    const cache = createCache({ layers: [memory()] });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const value of [undefined, () => 1, circular]) {
      expect(isRagCacheError(await cache.set("q", value).catch((e) => e), "E_NOT_SERIALIZABLE")).toBe(true);
    }
  });

  test("an oversized key is refused before any layer sees it", () => {
    const cache = createCache({ layers: [memory()], maxKeyLength: 10 });
    expect(() => cache.get("a question that is too long")).toThrow(/maxKeyLength/);
  });

  test("events report hits by layer, misses, sets, deletes and evictions", async () => {
    const cache = createCache({ layers: [memory({ max: 1 })] });
    const hits = recorder(cache, "hit");
    const misses = recorder(cache, "miss");
    const sets = recorder(cache, "set");
    const deletes = recorder(cache, "delete");
    const evictions = recorder(cache, "evict");
    await cache.get("a");
    await cache.set("a", 1);
    await cache.get("a");
    await cache.set("b", 2);
    await cache.delete("b");
    expect(misses.length).toBe(1);
    expect(hits[0]).toMatchObject({ layer: "memory", layerIndex: 0 });
    expect(hits[0]!.ms).toBeGreaterThanOrEqual(0);
    expect(sets.map((s) => s.layers)).toEqual([1, 1]);
    expect(deletes.length).toBe(1);
    expect(evictions).toEqual([{ layer: "memory", id: cache.key("a").id, reason: "capacity" }]);
  });

  test("sample listeners hear 1 lookup in sampleEvery, with hit listeners present and while listeners come and go", async () => {
    const cache = createCache({ layers: [memory()], log: false, sampleEvery: 8 });
    await cache.set("q", 1);
    let samples = 0;
    cache.on("sample", () => void samples++);
    const count = (lookups: () => void) => {
      samples = 0;
      for (let i = 0; i < 80; i++) lookups();
      return samples;
    };
    const stopHits = cache.on("hit", () => {});
    expect(count(() => cache.get("q"))).toBe(10);
    stopHits();
    expect(count(() => cache.get("q"))).toBe(10);
    let lookups = 0;
    const churning = () => {
      if (lookups++ % 5 === 0) cache.on("set", () => {})();
      cache.get("q");
    };
    expect(count(churning)).toBe(10);
    await cache.close();
  });

  test("stats count hits per layer and the overall hit rate", async () => {
    const cache = createCache({ layers: [memory({ name: "l1" }), remote("l2")] });
    await cache.set("q", 1);
    await cache.get("q");
    await cache.get("nope");
    const stats = cache.stats();
    expect(stats).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5, sets: 1 });
    expect(stats.layers.map((l) => [l.name, l.hits, l.misses])).toEqual([
      ["l1", 1, 1],
      ["l2", 0, 1],
    ]);
  });

  test("close waits for background back-fills, then refuses new calls", async () => {
    const l1 = memory({ name: "l1" });
    const cache = createCache({ layers: [l1, remote("l2")] });
    await cache.set("q", 1);
    await l1.clear();
    await cache.get("q");
    await cache.close();
    expect(l1.size).toBe(1);
    expect(() => cache.get("q")).toThrow(/closed/);
  });

  test("plugins are set up in order and torn down on close", async () => {
    const calls: string[] = [];
    const cache = createCache({
      layers: [memory()],
      plugins: [{ name: "p", setup: () => (calls.push("setup"), () => void calls.push("teardown")) }],
    });
    await cache.ready;
    await cache.close();
    expect(calls).toEqual(["setup", "teardown"]);
  });

  test("a chain without layers or with two layers of one name is a config error", () => {
    expect(() => createCache({ layers: [] })).toThrow(/at least one layer/);
    expect(() => createCache({ layers: [memory(), memory()] })).toThrow(/two layers are named "memory"/);
  });
});
