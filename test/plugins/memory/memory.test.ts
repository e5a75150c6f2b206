// Pins plugins/memory/index.ts.
import { expect, test } from "bun:test";
import { createCache, createKey } from "ragcache";
import { memory } from "ragcache/memory";
import { layerConformance, manualClock, testContext, testEntry } from "ragcache/testing";

layerConformance("memory layer", () => memory({ max: 100 }), { additionalTests: memoryLayerTests });

/** What this layer does beyond the shared suite, in the same `describe`. */
function memoryLayerTests(): void {
  test("get answers synchronously, with the stored object itself", () => {
    const layer = memory();
    const value = { docs: [1, 2, 3] };
    layer.set(createKey("q"), testEntry(createKey("q"), value));
    const hit = layer.get(createKey("q"));
    expect(hit instanceof Promise).toBe(false);
    expect((hit as { value: unknown }).value).toBe(value);
  });

  test("max evicts an entry not read since the last eviction (b), not one read since (a), with reason capacity", () => {
    const layer = memory({ max: 2 });
    const context = testContext();
    layer.attach!(context);
    const put = (q: string) => layer.set(createKey(q), testEntry(createKey(q), q));
    put("a");
    put("b");
    layer.get(createKey("a"));
    put("c");
    expect(layer.get(createKey("b"))).toBeUndefined();
    expect(layer.get(createKey("a"))).toBeDefined();
    expect(context.events).toEqual([{ event: "evict", payload: { layer: "memory", id: createKey("b").id, reason: "capacity" } }]);
  });

  test("entries read since they were stored outlive a burst of entries never read, which LRU eviction would push out", () => {
    const layer = memory({ max: 100 });
    const hot = Array.from({ length: 50 }, (_, i) => createKey(`hot ${i}`));
    for (const key of hot) layer.set(key, testEntry(key, "hot"));
    for (const key of hot) layer.get(key);
    for (let i = 0; i < 100; i++) layer.set(createKey(`once ${i}`), testEntry(createKey(`once ${i}`), "once"));
    expect(layer.size).toBe(100);
    expect(hot.filter((key) => layer.get(key) === undefined)).toEqual([]);
    expect(layer.get(createKey("once 0"))).toBeUndefined();
    expect(layer.get(createKey("once 99"))).toBeDefined();
  });

  test("under any mix of writes, reads and deletes the bound holds and every entry that left is reported once", () => {
    const layer = memory({ max: 16 });
    const context = testContext();
    layer.attach!(context);
    const kept = new Set<string>();
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 5000; i++) {
      const key = createKey(`q${Math.floor(random() * 40)}`);
      const action = random();
      if (action < 0.5) {
        layer.set(key, testEntry(key, i));
        kept.add(key.id);
      } else if (action < 0.9) {
        const hit = layer.get(key) as { value: unknown } | undefined;
        expect(hit === undefined).toBe(!kept.has(key.id));
      } else {
        layer.delete(key);
        kept.delete(key.id);
      }
      for (const { payload } of context.events.splice(0)) {
        expect(kept.delete((payload as { id: string }).id)).toBe(true);
      }
      expect(layer.size).toBe(kept.size);
      expect(layer.size).toBeLessThanOrEqual(16);
    }
  });

  test("maxBytes holds when an entry grows, and the grown entry is the one kept", () => {
    const layer = memory({ maxBytes: 300 });
    const put = (q: string, bytes: number) => layer.set(createKey(q), testEntry(createKey(q), "x".repeat(bytes - 2)));
    put("a", 100);
    put("b", 100);
    put("c", 100);
    put("c", 250);
    expect(layer.stats!().bytes).toBeLessThanOrEqual(300);
    expect((layer.get(createKey("c")) as { value: string }).value.length).toBe(248);
  });

  test("an entry read after its grace is dropped, with an evict event of reason expired", () => {
    const clock = manualClock();
    const layer = memory();
    const context = testContext(0, clock.now);
    layer.attach!(context);
    layer.set(
      createKey("q"),
      testEntry(createKey("q"), "v", { createdAt: clock.now(), expiresAt: clock.now() + 100, graceUntil: clock.now() + 200 }),
    );
    clock.advance(201);
    expect(layer.get(createKey("q"))).toBeUndefined();
    expect(layer.size).toBe(0);
    expect(context.events).toEqual([{ event: "evict", payload: { layer: "memory", id: createKey("q").id, reason: "expired" } }]);
  });

  test("maxBytes bounds the JSON size of the values, evicting with reason size", () => {
    const layer = memory({ maxBytes: 250 });
    const context = testContext();
    layer.attach!(context);
    for (let i = 0; i < 5; i++) layer.set(createKey(`q${i}`), testEntry(createKey(`q${i}`), "x".repeat(98)));
    expect(layer.size).toBe(2);
    expect(layer.stats!().bytes).toBe(200);
    expect(context.events.map((e) => (e.payload as { reason: string }).reason)).toEqual(["size", "size", "size"]);
  });

  test("a key object read before sees later writes, deletes and evictions, and another layer's reads", () => {
    const layer = memory({ max: 2 });
    const other = memory();
    const key = createKey("q");
    layer.set(key, testEntry(key, "first"));
    other.set(key, testEntry(key, "elsewhere"));
    expect((layer.get(key) as { value: unknown }).value).toBe("first");
    expect((other.get(key) as { value: unknown }).value).toBe("elsewhere");
    layer.set(key, testEntry(key, "second"));
    expect((layer.get(key) as { value: unknown }).value).toBe("second");
    layer.delete(key);
    expect(layer.get(key)).toBeUndefined();
    layer.set(key, testEntry(key, "third"));
    expect((layer.get(key) as { value: unknown }).value).toBe("third");
    // The read above marks the entry: the first eviction passes it over ("a" goes), the second takes it.
    for (const q of ["a", "b", "c"]) layer.set(createKey(q), testEntry(createKey(q), q));
    expect(layer.get(key)).toBeUndefined();
    expect(Object.keys(key)).not.toContain("layerRef");
    expect(JSON.stringify(key)).not.toContain("layerRef");
  });

  test("an entry larger than maxBytes is not kept, and the older entry of its key is dropped", () => {
    const layer = memory({ maxBytes: 50 });
    const key = createKey("q");
    layer.set(key, testEntry(key, "small"));
    layer.set(key, testEntry(key, "x".repeat(100)));
    expect(layer.get(key)).toBeUndefined();
    expect(layer.stats!().bytes).toBe(0);
  });

  test("entries too large to keep leave no tag behind", () => {
    const layer = memory({ maxBytes: 50 });
    for (let i = 0; i < 100; i++) {
      const key = createKey(`q${i}`);
      layer.set(key, testEntry(key, "x".repeat(100), { tags: [`doc:${i}`] }));
    }
    expect(layer.stats!()).toMatchObject({ entries: 0, tags: 0 });
  });

  test("a key object that held an evicted entry's node does not keep the value alive", () => {
    const layer = memory({ max: 1 });
    const key = createKey("q");
    const collected = storeAndEvict(layer, key);
    Bun.gc(true);
    expect(collected.deref()).toBeUndefined();
    expect(layer.get(key)).toBeUndefined();
  });

  test("a key the caller froze is read like any other", () => {
    const layer = memory();
    const key = Object.freeze(createKey("q"));
    layer.set(key, testEntry(key, "v"));
    expect((layer.get(key) as { value: unknown }).value).toBe("v");
    expect((layer.get(key) as { value: unknown }).value).toBe("v");
  });

  test("the chain's injected clock decides expiry, so TTL tests need no sleep", async () => {
    const clock = manualClock();
    const cache = createCache({ layers: [memory()], now: clock.now });
    await cache.set("q", "v", { ttl: "1m" });
    clock.advance("59s");
    expect(await cache.get("q")).toBe("v");
    clock.advance("2s");
    expect(await cache.get("q")).toBeUndefined();
  });
}

/** Stores a value under `key`, reads it (so the key holds the node), evicts it; only a weak reference is kept. */
function storeAndEvict(layer: ReturnType<typeof memory>, key: ReturnType<typeof createKey>): WeakRef<object> {
  const value = { big: "x".repeat(1_000) };
  layer.set(key, testEntry(key, value));
  layer.get(key);
  layer.set(createKey("other"), testEntry(createKey("other"), "evicts q"));
  return new WeakRef(value);
}
