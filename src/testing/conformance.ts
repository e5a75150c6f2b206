import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createKey } from "../key.ts";
import type { CacheEntry, CacheLayer, LayerContext } from "../types.ts";
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
  const entry = <V>(value: V, extra: Partial<CacheEntry<V>> = {}): CacheEntry<V> => ({
    value,
    createdAt: clock.now(),
    expiresAt: clock.now() + HOUR,
    ...extra,
  });

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

  test("set then get returns the value and the entry's times and tags", async () => {
    const stored = entry(
      { docs: [{ id: 1, text: "héllo ✓" }], score: 0.5, none: null },
      { tags: ["doc:1"], graceUntil: clock.now() + 2 * HOUR },
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

  test("an entry is kept through its grace and dropped once the grace has passed", async () => {
    const now = clock.now();
    await layer.set(key("short"), entry("x", { expiresAt: now + 100, graceUntil: now + 200 }));
    if (options.realTimeExpiryMs === undefined) {
      clock.advance(150);
      expect((await layer.get(key("short")))?.value).toBe("x");
      clock.advance(100);
    } else await Bun.sleep(options.realTimeExpiryMs);
    expect(await layer.get(key("short"))).toBeUndefined();
  });

  test("an already expired entry is not stored", async () => {
    await layer.set(key("past"), entry("x", { expiresAt: clock.now() - 1 }));
    expect(await layer.get(key("past"))).toBeUndefined();
  });

  test("health, when implemented, reports up", async () => {
    if (layer.health) expect((await layer.health()).state).toBe("up");
  });
}
