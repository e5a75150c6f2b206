import { RagCacheError } from "./errors.ts";
import type { CacheKey, KeyParams } from "./types.ts";

/** The namespace of a key made without one. */
export const DEFAULT_NAMESPACE = "default";
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

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

/**
 * 128-bit non-cryptographic hash (four 32-bit multiply-xorshift lanes) of a string's UTF-16 code units,
 * as 32 hex digits. Synchronous on purpose: crypto.subtle.digest is async and would put a promise on
 * every L1 hit. Keys are namespaced and not secret, so collision resistance against chance is what counts.
 * @example
 * ```ts
 * hash128("what is rag?"); // 32 hex digits, the same in every process
 * ```
 */
export function hash128(input: string): string {
  let h1 = 0x6a09e667,
    h2 = 0xbb67ae85,
    h3 = 0x3c6ef372,
    h4 = 0xa54ff53a;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ c, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ c, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ c, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ c, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return hex(h1) + hex(h2) + hex(h3) + hex(h4);
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

export function assertNamespace(namespace: string): void {
  if (!NAMESPACE.test(namespace)) {
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
  const normalized = normalizeText(text);
  const paramsHash = params === "" ? "" : hash128(params);
  return { id: `${namespace}:${hash128(`${normalized}\u0000${params}`)}`, namespace, text: normalized, params, paramsHash };
}

/**
 * A key known only by id (a remote invalidation, a listing): no text, no parameters.
 * @example
 * ```ts
 * await cache.delete(keyFromId("retrieval:5d41402abc4b2a76b9719d911017c592"));
 * ```
 */
export function keyFromId(id: string): CacheKey {
  const colon = id.indexOf(":");
  return { id, namespace: colon > 0 ? id.slice(0, colon) : DEFAULT_NAMESPACE, text: "", params: "", paramsHash: "" };
}

function invalidKey(message: string): RagCacheError {
  return new RagCacheError("E_INVALID_KEY", message);
}
