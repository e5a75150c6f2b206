import { describe, expect, test } from "bun:test";
import { isDuration, isRagCacheError, toMs } from "ragcache";

describe("durations", () => {
  test("numbers are milliseconds and strings carry a unit", () => {
    expect([toMs(250), toMs("500ms"), toMs("30s"), toMs("10m"), toMs("1h"), toMs("1d"), toMs("1.5s"), toMs("1500")]).toEqual([
      250, 500, 30_000, 600_000, 3_600_000, 86_400_000, 1_500, 1_500,
    ]);
  });

  test("compound and spelled-out durations add up", () => {
    expect(toMs("90s")).toBe(90_000);
    expect(toMs("1h30m")).toBe(5_400_000);
    expect(toMs("1h 30m 15s")).toBe(5_415_000);
    expect(toMs("2 days")).toBe(172_800_000);
    expect(toMs("10 minutes")).toBe(600_000);
    expect(toMs("1 Week")).toBe(604_800_000);
    expect(toMs(" 250 ms ")).toBe(250);
  });

  test("anything else is E_INVALID_DURATION naming the grammar", () => {
    for (const bad of ["", "-1s", "1 fortnight", "1h30", "h", "1.2.3s", "30s later", "1e3"]) {
      let error: unknown;
      try {
        toMs(bad, "ttl");
      } catch (caught) {
        error = caught;
      }
      expect(isRagCacheError(error) && error.code).toBe("E_INVALID_DURATION");
      expect((error as Error).message).toContain("1h30m");
      expect(isDuration(bad)).toBe(false);
    }
    expect(() => toMs(-5)).toThrow(/non-negative/);
    expect(() => toMs(Number.NaN)).toThrow(/non-negative/);
  });
});
