import { describe, expect, test } from "bun:test";
import {
  interleavedOps,
  judgeOnRounds,
  median,
  opsPerSecond,
  percentile,
  perRoundRatios,
  pool,
  ratioInRounds,
  ratiosInRounds,
  seeded,
  zipf,
} from "../../../bench/lib/measure.ts";

describe("bench measure helpers", () => {
  test("median of odd and even counts, NaN for none", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  test("ratioInRounds divides within each round, then takes the median", () => {
    // The ratio of the medians would be 20 / 10 = 2; round by round the variant is 1x, 1x and 4x.
    const samples = { base: [10, 100, 5], variant: [10, 100, 20] };
    expect(ratioInRounds(samples, "variant", "base")).toBe(1);
    expect(ratioInRounds(samples, "base", "base")).toBe(1);
  });

  test("perRoundRatios leaves out a round that lacks either figure", () => {
    expect(perRoundRatios([2, undefined, 9, 4], [1, 5, undefined, 8])).toEqual([2, 0.5]);
    expect(perRoundRatios([2, 3], [1])).toEqual([2]);
    expect(ratiosInRounds({ base: [10, 100, 5], variant: [10, 100, 20] }, "variant", "base")).toEqual([1, 1, 4]);
  });

  test("judgeOnRounds judges the median and shows the rounds' range beside it", () => {
    const atLeast = (floor: number) => (ratio: number) => ratio >= floor;
    expect(judgeOnRounds([0.98, 0.68, 0.84], atLeast(0.9))).toEqual({ met: false, measured: "0.84× (rounds 0.68× to 0.98×)" });
    expect(judgeOnRounds([0.98, 0.68, 0.84], atLeast(0.8)).met).toBe(true);
    const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
    expect(judgeOnRounds([0.1, -0.02], (x) => x < 0.15, percent)).toEqual({
      met: true,
      measured: "4.0 % (rounds -2.0 % to 10.0 %)",
    });
    expect(judgeOnRounds([], atLeast(0))).toEqual({ met: false, measured: "—" });
  });

  test("percentile is nearest-rank on an ascending array", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  test("seeded streams repeat for one seed and differ between seeds", () => {
    const a = seeded(1);
    const b = seeded(1);
    const c = seeded(2);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
  });

  test("zipf draws ranks in range, rank 0 about twice as often as rank 1", () => {
    const draw = zipf(1000, 1, seeded(3));
    const counts = new Map<number, number>();
    for (let i = 0; i < 50_000; i++) {
      const rank = draw();
      counts.set(rank, (counts.get(rank) ?? 0) + 1);
    }
    expect(Math.min(...counts.keys())).toBeGreaterThanOrEqual(0);
    expect(Math.max(...counts.keys())).toBeLessThan(1000);
    const ratio = counts.get(0)! / counts.get(1)!;
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2.3);
  });

  test("pool visits every item once with at most the given number in flight", async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await pool([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      most = Math.max(most, ++running);
      await Bun.sleep(1);
      seen.push(item);
      running--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  test("opsPerSecond awaits promises and counts synchronous answers without them", async () => {
    let calls = 0;
    expect(await opsPerSecond(() => calls++, 5)).toBeGreaterThan(0);
    let awaited = 0;
    await opsPerSecond(() => Promise.resolve().then(() => awaited++), 5);
    expect(awaited).toBeGreaterThan(0);
  });

  test("interleavedOps samples every variant once per round and gives each one's median", async () => {
    const { samples, medians } = await interleavedOps({ fast: () => 1, slow: () => Bun.sleep(1) }, 3, 10);
    expect([samples.fast!.length, samples.slow!.length]).toEqual([3, 3]);
    expect(medians.fast!).toBe(median(samples.fast!));
    expect(medians.fast!).toBeGreaterThan(medians.slow!);
  });
});
