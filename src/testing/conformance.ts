import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { nextStamp } from "../entry.ts";
import { createKey } from "../key.ts";
import type { CacheEntry, CacheKey, CacheLayer, LayerContext } from "../types.ts";
import { manualClock } from "./clock.ts";

/** How `layerConformance` makes, checks and extends the suite for one layer. */
export interface ConformanceOptions {
  /** Called after each shared test with the layer it made (close connections, remove folders). */
  cleanup?: (layer: CacheLayer) => unknown;
  /**
   * Set for a layer whose store drops expired entries on its own timer, in real time (Redis' PX
   * expiry, lru-cache's TTL), instead of comparing them with the chain's clock: the expiry test then
   * waits this many real milliseconds instead of advancing the clock. Default: the clock is advanced.
   */
  realTimeExpiryMs?: number;
  /** The layer's own tests, declared (with `test`) in the same `describe` after the shared ones. */
  additionalTests?: () => void;
}

/** The context a test attaches to a layer, with what the layer emitted and tracked. */
export type TestContext = LayerContext & { events: { event: string; payload: unknown }[]; tracked: Promise<unknown>[] };

const HOUR = 3_600_000;

/**
 * A valid entry for `key`, as the chain would make it: the key's digest, a new write stamp, fresh for
 * an hour. For tests that call a layer directly; `extra` overrides any field.
 * @example
 * ```ts
 * await layer.set(key, testEntry(key, { docs: [1] }, { tags: ["doc:1"] }));
 * ```
 */
export function testEntry<V>(key: CacheKey, value: V, extra: Partial<CacheEntry<V>> = {}): CacheEntry<V> {
  const now = Date.now();
  return { value, createdAt: now, expiresAt: now + HOUR, stamp: nextStamp(), digest: key.digest, ...extra };
}

/**
 * A context that records what the layer emits and tracks, as a chain would.
 * @example
 * ```ts
 * const context = testContext();
 * layer.attach?.(context);
 * expect(context.events).toEqual([]);
 * ```
 */
export function testContext(index = 0, now: () => number = Date.now): TestContext {
  const events: { event: string; payload: unknown }[] = [];
  const tracked: Promise<unknown>[] = [];
  return {
    index,
    layers: [],
    now,
    emit: (event, payload) => void events.push({ event, payload }),
    invalidateAbove: async () => {},
    track: (work) => void tracked.push(work),
    events,
    tracked,
  };
}

/**
 * The behaviour every layer must have, as a `describe(name)` block for a `*.test.ts` file. Built-in
 * layers run it; run it on your own layer, and add the layer's own tests to the same block.
 * Each shared test gets a fresh layer attached to a manual clock, so expiry is tested without sleeping.
 * @example
 * ```ts
 * layerConformance("my layer", () => myLayer(), {
 *   additionalTests: () => test("counts its entries", () => expect(myLayer().stats()).toEqual({ entries: 0 })),
 * });
 * ```
 */
export function layerConformance(
  name: string,
  makeLayer: () => CacheLayer | Promise<CacheLayer>,
  options: ConformanceOptions = {},
): void {
  describe(name, () => {
    describe("layer conformance", () => sharedTests(makeLayer, options));
    options.additionalTests?.();
  });
}

function sharedTests(makeLayer: () => CacheLayer | Promise<CacheLayer>, options: ConformanceOptions): void {
  let layer: CacheLayer;
  const clock = manualClock();
  const key = (text: string, namespace = "conformance", params?: Record<string, unknown>) =>
    createKey(text, { namespace, params });
  const entry = <V>(at: CacheKey, value: V, extra: Partial<CacheEntry<V>> = {}): CacheEntry<V> =>
    testEntry(at, value, { createdAt: clock.now(), expiresAt: clock.now() + HOUR, ...extra });
  const put = (at: CacheKey, value: unknown, extra?: Partial<CacheEntry>) => layer.set(at, entry(at, value, extra));

  beforeEach(async () => {
    layer = await makeLayer();
    layer.attach?.(testContext(0, clock.now));
    await layer.clear();
  });
  afterEach(async () => {
    await layer.close?.();
    await options.cleanup?.(layer);
  });

  test("get returns undefined for a missing key", async () => {
    expect(await layer.get(key("never stored"))).toBeUndefined();
  });

  test("set then get returns the value and the entry's times, write stamp, digest and tags", async () => {
    const stored = entry(
      key("what is rag"),
      { docs: [{ id: 1, text: "héllo ✓" }], score: 0.5, none: null },
      { tags: ["doc:1"], graceUntil: clock.now() + 2 * HOUR },
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

  test("an entry is kept through its grace and dropped once the grace has passed", async () => {
    const now = clock.now();
    await put(key("short"), "x", { expiresAt: now + 100, graceUntil: now + 200 });
    if (options.realTimeExpiryMs === undefined) {
      clock.advance(150);
      expect((await layer.get(key("short")))?.value).toBe("x");
      clock.advance(100);
    } else await Bun.sleep(options.realTimeExpiryMs);
    expect(await layer.get(key("short"))).toBeUndefined();
  });

  test("an already expired entry is not stored", async () => {
    await put(key("past"), "x", { expiresAt: clock.now() - 1 });
    expect(await layer.get(key("past"))).toBeUndefined();
  });

  test("health, when implemented, reports up", async () => {
    if (layer.health) expect((await layer.health()).state).toBe("up");
  });
}
