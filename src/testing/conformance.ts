import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createKey } from "../key.ts";
import type { CacheEntry, CacheLayer, LayerContext } from "../types.ts";

export interface ConformanceOptions {
  /** Called after each test with the layer it made (close connections, remove folders). */
  cleanup?: (layer: CacheLayer) => unknown;
  /** How long the layer may take to drop an entry after its grace ends; default 1500 ms. */
  expiryWaitMs?: number;
}

const HOUR = 3_600_000;

function entry<V>(value: V, extra: Partial<CacheEntry<V>> = {}): CacheEntry<V> {
  const now = Date.now();
  return { value, createdAt: now, expiresAt: now + HOUR, ...extra };
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

    test("set then get returns the value and the entry's times and tags", async () => {
      const stored = entry(
        { docs: [{ id: 1, text: "héllo ✓" }], score: 0.5, none: null },
        { tags: ["doc:1"], graceUntil: Date.now() + 2 * HOUR },
      );
      await layer.set(key("what is rag"), stored);
      const hit = await layer.get(key("what is rag"));
      expect(hit?.value).toEqual(stored.value);
      expect(hit?.expiresAt).toBe(stored.expiresAt);
      expect(hit?.graceUntil).toBe(stored.graceUntil!);
      expect(hit?.tags).toEqual(["doc:1"]);
    });

    test("set replaces an existing value", async () => {
      await layer.set(key("q"), entry("first"));
      await layer.set(key("q"), entry("second"));
      expect((await layer.get(key("q")))?.value).toBe("second");
    });

    test("keys differing in namespace or parameters are separate entries", async () => {
      await layer.set(key("q", "a"), entry("a"));
      await layer.set(key("q", "b"), entry("b"));
      await layer.set(key("q", "a", { k: 5 }), entry("a5"));
      expect((await layer.get(key("q", "a")))?.value).toBe("a");
      expect((await layer.get(key("q", "b")))?.value).toBe("b");
      expect((await layer.get(key("q", "a", { k: 5 })))?.value).toBe("a5");
    });

    test("delete removes one entry", async () => {
      await layer.set(key("gone"), entry(1));
      await layer.set(key("kept"), entry(2));
      await layer.delete(key("gone"));
      expect(await layer.get(key("gone"))).toBeUndefined();
      expect((await layer.get(key("kept")))?.value).toBe(2);
    });

    test("clear(namespace) removes only that namespace, clear() everything", async () => {
      await layer.set(key("q", "one"), entry(1));
      await layer.set(key("q", "two"), entry(2));
      await layer.clear("one");
      expect(await layer.get(key("q", "one"))).toBeUndefined();
      expect((await layer.get(key("q", "two")))?.value).toBe(2);
      await layer.clear();
      expect(await layer.get(key("q", "two"))).toBeUndefined();
    });

    test("invalidateTags removes every entry with any of the tags and nothing else", async () => {
      await layer.set(key("a"), entry("a", { tags: ["doc:1", "doc:2"] }));
      await layer.set(key("b"), entry("b", { tags: ["doc:2"] }));
      await layer.set(key("c"), entry("c", { tags: ["doc:3"] }));
      await layer.set(key("d"), entry("d"));
      await layer.invalidateTags(["doc:2", "doc:404"]);
      expect(await layer.get(key("a"))).toBeUndefined();
      expect(await layer.get(key("b"))).toBeUndefined();
      expect((await layer.get(key("c")))?.value).toBe("c");
      expect((await layer.get(key("d")))?.value).toBe("d");
    });

    test("an entry is dropped once its grace (or expiry) has passed", async () => {
      const now = Date.now();
      await layer.set(key("short"), entry("x", { expiresAt: now + 100, graceUntil: now + 200 }));
      await Bun.sleep(options.expiryWaitMs ?? 1_500);
      expect(await layer.get(key("short"))).toBeUndefined();
    });

    test("an already expired entry is not stored", async () => {
      await layer.set(key("past"), entry("x", { expiresAt: Date.now() - 1 }));
      expect(await layer.get(key("past"))).toBeUndefined();
    });

    test("health, when implemented, reports up", async () => {
      if (layer.health) expect((await layer.health()).state).toBe("up");
    });
  });
}
