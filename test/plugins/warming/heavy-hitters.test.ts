import { describe, expect, test } from "bun:test";
import { SpaceSaving } from "ragcache/warming";
import { seeded, zipf } from "../../../bench/lib/measure.ts";

describe("heavy hitters (Space-Saving)", () => {
  test("finds the true top 100 of a Zipf stream of 10 000 distinct queries in 1 000 counters", () => {
    const next = zipf(10_000, 1, seeded(42));
    const exact = new Map<number, number>();
    const sketch = new SpaceSaving<number>(1_000);
    for (let i = 0; i < 200_000; i++) {
      const query = next();
      exact.set(query, (exact.get(query) ?? 0) + 1);
      sketch.add(String(query), query);
    }
    const cutoff = [...exact.values()].sort((a, b) => b - a)[99]!;
    const found = sketch.top(100);
    const foundSet = new Set(found.map((c) => c.item));
    // The true top 100 up to ties at the 100th count: nothing below it found, nothing above it missed.
    expect(found.filter((c) => exact.get(c.item)! < cutoff)).toEqual([]);
    expect([...exact].filter(([query, count]) => count > cutoff && !foundSet.has(query))).toEqual([]);
    expect(sketch.size).toBe(1_000);
    expect(exact.size).toBeGreaterThan(9_000);
    for (const counter of found) {
      const truth = exact.get(counter.item)!;
      expect(counter.count).toBeGreaterThanOrEqual(truth);
      expect(counter.count - counter.error).toBeLessThanOrEqual(truth);
    }
  });

  test("a new item takes over the smallest counter and inherits its count as error", () => {
    const sketch = new SpaceSaving<string>(2);
    sketch.add("a", "a", 5);
    sketch.add("b", "b", 2);
    sketch.add("c", "c");
    expect(sketch.top(2)).toEqual([
      { id: "a", item: "a", count: 5, error: 0 },
      { id: "c", item: "c", count: 3, error: 2 },
    ]);
  });

  test("decay scales every count and restore merges saved counters back", () => {
    const sketch = new SpaceSaving<string>(10);
    sketch.add("a", "a", 8);
    sketch.add("b", "b", 4);
    sketch.decay(0.5);
    expect(sketch.top(2).map((c) => c.count)).toEqual([4, 2]);
    const copy = new SpaceSaving<string>(1);
    copy.restore(sketch.counters());
    expect(copy.top(5)).toEqual([{ id: "a", item: "a", count: 4, error: 0 }]);
  });
});
