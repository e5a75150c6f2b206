import { describe, expect, test } from "bun:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { canonicalJson, createKey, isRagCacheError, keyFromId, keyOf, normalizeText, sha256Hex } from "ragcache";

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

  test("sha256Hex is standard SHA-256 of the UTF-8 bytes, the same as the portable implementation's", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for (const text of ["", "what is rag?", "ＲＡＧ ✓ 𝒳 é", 'ns\u0000text\u0000{"k":5}']) {
      expect(sha256Hex(text)).toBe(bytesToHex(sha256(utf8ToBytes(text))));
    }
  });

  test("a key's digest covers namespace, text and parameters; its id is the digest's first 128 bits", () => {
    const key = createKey("What is RAG?", { namespace: "retrieval", params: { k: 5 } });
    expect(key.digest).toBe(sha256Hex('retrieval\u0000what is rag?\u0000{"k":5}'));
    expect(key.id).toBe(`retrieval:${key.digest.slice(0, 32)}`);
    expect(keyOf("retrieval", "what is rag?", '{"k":5}')).toEqual(key);
    const digests = [
      createKey("q"),
      createKey("q", { namespace: "other" }),
      createKey("q", { params: { k: 5 } }),
      createKey("q2"),
    ];
    expect(new Set(digests.map((k) => k.digest)).size).toBe(4);
  });

  test("a key known only by id has no digest, so it can delete but never match an entry", () => {
    const key = keyFromId(createKey("q").id);
    expect(key).toMatchObject({ id: createKey("q").id, namespace: "default", digest: "" });
  });
});
