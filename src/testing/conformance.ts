import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { nextStamp } from "../entry.ts";
import { createKey } from "../key.ts";
import type { CacheEntry, CacheKey, CacheLayer, LayerContext } from "../types.ts";

export interface ConformanceOptions {
  /** Called after each test with the layer it made (close connections, remove folders). */
  cleanup?: (layer: CacheLayer) => unknown;
  /** How long the layer may take to drop an entry after its grace ends; default 1500 ms. */
  expiryWaitMs?: number;
}

const HOUR = 3_600_000;

/**
 * A valid entry for `key`, as the chain would make it: its digest, fresh for an hour, a new write stamp.
 * For tests that call a layer directly.
 *
 * @example
 * await layer.set(key, testEntry(key, { docs: [1] }, { tags: ["doc:1"] }));
 */
export function testEntry<V>(key: CacheKey, value: V, extra: Partial<CacheEntry<V>> = {}): CacheEntry<V> {
  const now = Date.now();
  return { value, createdAt: now, expiresAt: now + HOUR, stamp: nextStamp(), digest: key.digest, ...extra };
}

/** A context that records what the layer emits and tracks, as a chain would. */
export function testContext(
  index = 0,
): LayerContext & { events: { event: string; payload: unknown }[]; tracked: Promise<unknown>[] } {
  const events: { event: string; payload: unknown }[] = [];
  const tracked: Promise<unknown>[] = [];
  return {
    index,
    now: Date.now,
    emit: (event, payload) => void events.push({ event, payload }),
    invalidateAbove: async () => {},
    track: (work) => void tracked.push(work),
    events,
    tracked,
  };
}

/**
 * The behaviour every layer must have. Built-in layers run it; run it on your own layer:
 * `layerConformance("my layer", () => myLayer({ … }))` in a `*.test.ts` file.
 */
export function layerConformance(
  name: string,
  makeLayer: () => CacheLayer | Promise<CacheLayer>,
  options: ConformanceOptions = {},
): void {
  describe(`${name} (layer conformance)`, () => {
    let layer: CacheLayer;
    const key = (text: string, namespace = "conformance", params?: Record<string, unknown>) =>
      createKey(text, { namespace, params });
    const put = (at: CacheKey, value: unknown, extra?: Partial<CacheEntry>) => layer.set(at, testEntry(at, value, extra));

    beforeEach(async () => {
      layer = await makeLayer();
      layer.attach?.(testContext());
      await layer.clear();
    });
    afterEach(async () => {
      await layer.close?.();
      await options.cleanup?.(layer);
    });

    test("get returns undefined for a missing key", async () => {
      expect(await layer.get(key("never stored"))).toBeUndefined();
    });

    test("set then get returns the value and the entry's times, stamp and tags", async () => {
      const stored = testEntry(
        key("what is rag"),
        { docs: [{ id: 1, text: "héllo ✓" }], score: 0.5, none: null },
        { tags: ["doc:1"], graceUntil: Date.now() + 2 * HOUR },
      );
      await layer.set(key("what is rag"), stored);
      const hit = await layer.get(key("what is rag"));
      expect(hit?.value).toEqual(stored.value);
      expect(hit?.stamp).toBe(stored.stamp);
      expect(hit?.digest).toBe(stored.digest);
      expect(hit?.expiresAt).toBe(stored.expiresAt);
      expect(hit?.graceUntil).toBe(stored.graceUntil!);
      expect(hit?.tags).toEqual(["doc:1"]);
    });

    test("set replaces an existing value", async () => {
      await put(key("q"), "first");
      await put(key("q"), "second");
      expect((await layer.get(key("q")))?.value).toBe("second");
    });

    test("keys differing in namespace or parameters are separate entries", async () => {
      await put(key("q", "a"), "a");
      await put(key("q", "b"), "b");
      await put(key("q", "a", { k: 5 }), "a5");
      expect((await layer.get(key("q", "a")))?.value).toBe("a");
      expect((await layer.get(key("q", "b")))?.value).toBe("b");
      expect((await layer.get(key("q", "a", { k: 5 })))?.value).toBe("a5");
    });

    test("delete removes one entry", async () => {
      await put(key("gone"), 1);
      await put(key("kept"), 2);
      await layer.delete(key("gone"));
      expect(await layer.get(key("gone"))).toBeUndefined();
      expect((await layer.get(key("kept")))?.value).toBe(2);
    });

    test("clear(namespace) removes only that namespace, clear() everything", async () => {
      await put(key("q", "one"), 1);
      await put(key("q", "two"), 2);
      await layer.clear("one");
      expect(await layer.get(key("q", "one"))).toBeUndefined();
      expect((await layer.get(key("q", "two")))?.value).toBe(2);
      await layer.clear();
      expect(await layer.get(key("q", "two"))).toBeUndefined();
    });

    test("invalidateTags removes every entry with any of the tags and nothing else", async () => {
      await put(key("a"), "a", { tags: ["doc:1", "doc:2"] });
      await put(key("b"), "b", { tags: ["doc:2"] });
      await put(key("c"), "c", { tags: ["doc:3"] });
      await put(key("d"), "d");
      await layer.invalidateTags(["doc:2", "doc:404"]);
      expect(await layer.get(key("a"))).toBeUndefined();
      expect(await layer.get(key("b"))).toBeUndefined();
      expect((await layer.get(key("c")))?.value).toBe("c");
      expect((await layer.get(key("d")))?.value).toBe("d");
    });

    test("an entry is dropped once its grace (or expiry) has passed", async () => {
      const now = Date.now();
      await put(key("short"), "x", { expiresAt: now + 100, graceUntil: now + 200 });
      await Bun.sleep(options.expiryWaitMs ?? 1_500);
      expect(await layer.get(key("short"))).toBeUndefined();
    });

    test("an already expired entry is not stored", async () => {
      await put(key("past"), "x", { expiresAt: Date.now() - 1 });
      expect(await layer.get(key("past"))).toBeUndefined();
    });

    test("health, when implemented, reports up", async () => {
      if (layer.health) expect((await layer.health()).state).toBe("up");
    });
  });
}
