import { describe, expect, test } from "bun:test";
import { canonicalJson, createKey, hash128, isRagCacheError, normalizeText } from "ragcache";

describe("keys", () => {
  test("normalization folds Unicode compatibility forms, case and whitespace", () => {
    expect(normalizeText("  What\tis\n\n ＲＡＧ？ ")).toBe("what is rag?");
    expect(createKey("What is  RAG?").id).toBe(createKey("what is rag?").id);
  });

  test("parameters are canonical: key order does not matter, values do", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe('{"a":{"c":null,"d":[1,2]},"b":1}');
    expect(createKey("q", { params: { k: 5, model: "m" } }).id).toBe(createKey("q", { params: { model: "m", k: 5 } }).id);
    expect(createKey("q", { params: { k: 5 } }).id).not.toBe(createKey("q", { params: { k: 6 } }).id);
    expect(createKey("q", { params: {} }).id).not.toBe(createKey("q").id);
  });

  test("namespaces never share an entry and prefix the id", () => {
    const a = createKey("q", { namespace: "retrieval" });
    const b = createKey("q", { namespace: "answer" });
    expect(a.id.startsWith("retrieval:")).toBe(true);
    expect(a.id).not.toBe(b.id);
  });

  test("text and parameters cannot be confused by concatenation", () => {
    expect(createKey('a", "b', { params: { x: 1 } }).id).not.toBe(createKey("a", { params: { x: 1, b: '"' } }).id);
  });

  test("non-JSON parameters and bad namespaces are refused with E_INVALID_KEY", () => {
    for (const bad of [
      () => createKey("q", { params: { f: () => 1 } }),
      () => createKey("q", { params: { n: Number.NaN } }),
      () => createKey("q", { params: { d: new Date() } }),
      () => createKey("q", { namespace: "a b" }),
      () => createKey(42 as unknown as string),
    ]) {
      let error: unknown;
      try {
        bad();
      } catch (thrown) {
        error = thrown;
      }
      expect(isRagCacheError(error, "E_INVALID_KEY")).toBe(true);
    }
  });

  test("an oversized key says which limit it exceeded", () => {
    try {
      createKey("x".repeat(100), { params: { a: 1 } }, 50);
      throw new Error("no error");
    } catch (error) {
      expect(isRagCacheError(error, "E_KEY_TOO_LARGE")).toBe(true);
      expect((error as Error).message).toContain("maxKeyLength 50");
    }
  });

  test("hash128 is 32 hex digits and spreads similar inputs", () => {
    const hashes = new Set(Array.from({ length: 10_000 }, (_, i) => hash128(`query ${i}`)));
    expect(hashes.size).toBe(10_000);
    expect(hash128("a")).toMatch(/^[0-9a-f]{32}$/);
  });
});
