import { describe, expect, test } from "bun:test";
import { SpaceSaving } from "ragcache/warming";

/** Deterministic Zipf(s) sampler over ranks 0..n-1 (inverse CDF, seeded LCG). */
export function zipf(n: number, s: number, seed: number): () => number {
  const cdf: number[] = [];
  let sum = 0;
  for (let rank = 1; rank <= n; rank++) cdf.push((sum += 1 / rank ** s));
  let state = seed;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

describe("heavy hitters (Space-Saving)", () => {
  test("finds the true top 100 of a Zipf stream of 10 000 distinct queries in 1 000 counters", () => {
    const next = zipf(10_000, 1, 42);
    const exact = new Map<number, number>();
    const sketch = new SpaceSaving<number>(1_000);
    for (let i = 0; i < 200_000; i++) {
      const query = next();
      exact.set(query, (exact.get(query) ?? 0) + 1);
      sketch.add(String(query), query);
    }
    const trueTop = [...exact].sort((a, b) => b[1] - a[1]).slice(0, 100);
    const found = sketch.top(100);
    expect(new Set(found.map((c) => c.item))).toEqual(new Set(trueTop.map(([query]) => query)));
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
