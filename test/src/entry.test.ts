// Pins src/entry.ts: write stamps and the rules that order them.
import { describe, expect, test } from "bun:test";
import { backfillLoses, isNewer, nextStamp } from "ragcache";

describe("write stamps", () => {
  test("each stamp is a safe integer above the previous one, even within one millisecond", () => {
    const stamps = Array.from({ length: 5_000 }, () => nextStamp());
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]!).toBeGreaterThan(stamps[i - 1]!);
    expect(stamps.every(Number.isSafeInteger)).toBe(true);
  });

  test("a stamp follows the wall clock, so stamps of different processes compare by time", () => {
    const before = Date.now() * 1000;
    const stamp = nextStamp();
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThan((Date.now() + 1_000) * 1000);
  });

  test("isNewer: a later stamp wins, an equal or earlier one does not, anything beats nothing", () => {
    expect(isNewer({ stamp: 2 }, { stamp: 1 })).toBe(true);
    expect(isNewer({ stamp: 1 }, { stamp: 1 })).toBe(false);
    expect(isNewer({ stamp: 1 }, { stamp: 2 })).toBe(false);
    expect(isNewer({ stamp: 1 }, undefined)).toBe(true);
  });

  test("backfillLoses: only an entry of the same key (digest) written as late or later stops a back-fill", () => {
    const incoming = { stamp: 2, digest: "a" };
    expect(backfillLoses({ stamp: 3, digest: "a" }, incoming)).toBe(true);
    expect(backfillLoses({ stamp: 2, digest: "a" }, incoming)).toBe(true);
    expect(backfillLoses({ stamp: 1, digest: "a" }, incoming)).toBe(false);
    expect(backfillLoses({ stamp: 3, digest: "b" }, incoming)).toBe(false);
    expect(backfillLoses(undefined, incoming)).toBe(false);
  });
});
