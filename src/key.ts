import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { RagCacheError } from "./errors.ts";
import type { CacheKey, KeyParams } from "./types.ts";

/** The namespace of a key made without one. */
export const DEFAULT_NAMESPACE = "default";
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;
/**
 * The namespace ragcache keeps its own state under (the warming plugin's frequency table) in a
 * persistent layer: `cache.key`, and so every read and write through a chain, refuses it.
 */
export const RESERVED_NAMESPACE = "_ragcache";

/**
 * NFKC, lower case, whitespace collapsed and trimmed: "What  is RAG?" and "what is rag?" are one key.
 * @example
 * ```ts
 * normalizeText("  What  is RAG? "); // "what is rag?"
 * ```
 */
export function normalizeText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** Nesting levels parameters may have: deeper ones are refused instead of overflowing the stack. */
export const MAX_PARAMS_DEPTH = 64;

/**
 * Sorted-keys JSON, so `{a,b}` and `{b,a}` are the same parameters. Non-JSON values, and nesting
 * deeper than `MAX_PARAMS_DEPTH`, are refused.
 * @example
 * ```ts
 * canonicalJson({ k: 5, model: "m" }) === canonicalJson({ model: "m", k: 5 }); // true
 * ```
 */
export function canonicalJson(value: unknown, path = "params", depth = 0): string {
  if (value === null || typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalidKey(`${path} is ${value}, which JSON cannot represent`);
    return JSON.stringify(value);
  }
  if (depth >= MAX_PARAMS_DEPTH && typeof value === "object") {
    throw invalidKey(`params are nested more than ${MAX_PARAMS_DEPTH} levels deep`);
  }
  if (Array.isArray(value)) return `[${value.map((item, i) => canonicalJson(item, `${path}[${i}]`, depth + 1)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .filter((name) => record[name] !== undefined)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name], `${path}.${name}`, depth + 1)}`);
    return `{${fields.join(",")}}`;
  }
  throw invalidKey(`${path} is a ${typeof value === "object" ? "non-plain object" : typeof value}; parameters must be JSON`);
}

/** Bun's native SHA-256 when present: the same digest, several times faster than the portable one. */
const nativeSha256 = typeof Bun === "undefined" ? undefined : Bun.SHA256;

/**
 * SHA-256 of a string's UTF-8 bytes, as 64 hex digits. SHA-256 because it is the standard hash every
 * runtime and every reviewer knows; `@noble/hashes` because it computes it synchronously everywhere
 * (crypto.subtle.digest is async and would put a promise on every key); Bun's own hasher where it runs.
 * @example
 * ```ts
 * sha256Hex("abc"); // "ba7816bf…f20015ad"
 * ```
 */
export const sha256Hex: (input: string) => string = nativeSha256
  ? (input) => nativeSha256.hash(input, "hex")
  : (input) => bytesToHex(sha256(utf8ToBytes(input)));

export function assertNamespace(namespace: string): void {
  if (typeof namespace !== "string" || !NAMESPACE.test(namespace)) {
    throw invalidKey(`namespace "${namespace}" must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-"`);
  }
}

/** The parts of a key besides its text: entries differing in either are separate. */
export interface KeyOptions {
  /** 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-". Default "default". */
  namespace?: string;
  /** JSON parameters that change the answer (model, top-k, filters). Default: none. */
  params?: KeyParams;
}

/**
 * Build a key. `maxKeyLength` bounds the text plus the canonical parameters, in characters.
 * @example
 * ```ts
 * const key = createKey("What is RAG?", { namespace: "retrieval", params: { k: 5 } });
 * await layer.get(key);
 * ```
 */
export function createKey(text: string, options: KeyOptions = {}, maxKeyLength = Infinity): CacheKey {
  if (typeof text !== "string") throw invalidKey(`the query must be a string, got ${typeof text}`);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  assertNamespace(namespace);
  const params = options.params === undefined ? "" : canonicalJson(options.params);
  if (text.length + params.length > maxKeyLength) {
    throw new RagCacheError(
      "E_KEY_TOO_LARGE",
      `the key is ${text.length + params.length} characters (query + parameters), above maxKeyLength ${maxKeyLength}`,
      { details: { limit: "maxKeyLength", max: maxKeyLength, actual: text.length + params.length } },
    );
  }
  return keyOf(namespace, normalizeText(text), params);
}

/**
 * The key of an already normalized text and canonical parameters (a key restored from storage).
 * The digest covers all three parts; the id is its first 128 bits under the namespace.
 * @example
 * ```ts
 * const key = keyOf("retrieval", normalizeText("What is RAG?"), canonicalJson({ k: 5 }));
 * ```
 */
export function keyOf(namespace: string, text: string, params: string): CacheKey {
  const digest = sha256Hex(`${namespace}\u0000${text}\u0000${params}`);
  const paramsHash = params === "" ? "" : sha256Hex(params).slice(0, 32);
  return withLayerRef({
    id: `${namespace}:${digest.slice(0, 32)}`,
    namespace,
    text,
    params,
    paramsHash,
    digest,
    layerRef: undefined,
  });
}

/**
 * A key known only by id (a remote invalidation, a journaled change): enough to delete or invalidate,
 * never to read, since its digest (empty) matches no stored entry.
 * @example
 * ```ts
 * await cache.delete(keyFromId("retrieval:5d41402abc4b2a76b9719d911017c592"));
 * ```
 */
export function keyFromId(id: string): CacheKey {
  const colon = id.indexOf(":");
  return withLayerRef({
    id,
    namespace: colon > 0 ? id.slice(0, colon) : DEFAULT_NAMESPACE,
    text: "",
    params: "",
    paramsHash: "",
    digest: "",
    layerRef: undefined,
  });
}

/**
 * Hides the `layerRef` slot from enumeration, so that keys still compare and serialize by their parts.
 * The slot is in the literal already: added afterwards, it would live outside the object (one more
 * memory load on every L1 hit), while an attribute change keeps it inline and shared by every key.
 */
function withLayerRef(key: CacheKey): CacheKey {
  return Object.defineProperty(key, "layerRef", { enumerable: false });
}

/** Refuses the reserved namespace for keys made through a chain (the chain's own state lives there). */
export function assertUserNamespace(namespace: string | undefined): void {
  if (namespace === RESERVED_NAMESPACE)
    throw invalidKey(`the namespace "${RESERVED_NAMESPACE}" is reserved for ragcache's own state; choose another`);
}

function invalidKey(message: string): RagCacheError {
  return new RagCacheError("E_INVALID_KEY", message);
}
