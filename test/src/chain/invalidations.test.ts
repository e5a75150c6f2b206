import { describe, expect, test } from "bun:test";
import { createKey } from "ragcache";
import { Invalidations } from "../../../src/chain/invalidations.ts";

const key = createKey("q", { namespace: "docs" });

describe("Invalidations", () => {
  test("covers a read while an invalidation of its tag runs and after it ended, not before it started", () => {
    const invalidations = new Invalidations();
    const before = invalidations.generation;
    const end = invalidations.begin({ type: "tags", tags: ["doc:1"] });
    const during = invalidations.generation;
    expect(invalidations.covers(during, key, ["doc:1"])).toBe(true);
    expect(invalidations.covers(during, key, ["doc:2"])).toBe(false);
    end();
    expect(invalidations.covers(before, key, ["doc:1"])).toBe(true);
    expect(invalidations.covers(during, key, ["doc:1"])).toBe(true);
    expect(invalidations.covers(invalidations.generation, key, ["doc:1"])).toBe(false);
  });

  test("a namespace clear covers that namespace only; a full clear and a remote delete of the id cover the key", () => {
    const invalidations = new Invalidations();
    const since = invalidations.generation;
    invalidations.begin({ type: "clear", namespace: "other" })();
    expect(invalidations.covers(since, key, undefined)).toBe(false);
    invalidations.begin({ type: "clear", namespace: "docs" })();
    expect(invalidations.covers(since, key, undefined)).toBe(true);
    const later = invalidations.generation;
    invalidations.begin({ type: "delete", ids: [key.id] })();
    expect(invalidations.covers(later, key, undefined)).toBe(true);
    const last = invalidations.generation;
    invalidations.begin({ type: "clear" })();
    expect(invalidations.covers(last, key, undefined)).toBe(true);
  });

  test("past its bound it forgets the oldest tag, and then counts every read older than it as covered", () => {
    const invalidations = new Invalidations(2);
    const since = invalidations.generation;
    for (const tag of ["a", "b", "c"]) invalidations.begin({ type: "tags", tags: [tag] })();
    expect(invalidations.covers(since, key, ["unrelated"])).toBe(true);
    expect(invalidations.covers(invalidations.generation, key, ["a"])).toBe(false);
  });
});
