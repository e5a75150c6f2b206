import type { Context } from "hono";
import type { Cache } from "../chain/cache.ts";
import type { CacheKey, MaybePromise } from "../types.ts";
import { keyOfParts, requestParts, type KeyFunction, type RequestParts } from "./request-key.ts";

/** Distinct requests whose keys are remembered; building a key (canonical JSON, hashes) costs more than the rest of a hit. */
const MEMO_LIMIT = 10_000;
/** Larger bodies are hashed on every request rather than kept as memo keys (the memo stays under ~10 MB). */
const MEMO_BODY_LIMIT = 1_024;

/** The CacheKey of a request: synchronous for a GET with the default key, so a hit adds no await for it. */
export function keyResolver(cache: Cache, namespace: string, keyOption?: KeyFunction): (c: Context) => MaybePromise<CacheKey> {
  if (keyOption) {
    return async (c) => {
      const spec = await keyOption(c);
      return typeof spec === "string" ? cache.key(spec, { namespace }) : cache.key(spec.text, { namespace, params: spec.params });
    };
  }
  const memo = new Map<string, CacheKey>();
  const build = (parts: RequestParts): CacheKey => {
    const { text, params } = keyOfParts(parts);
    return cache.key(text, { namespace, params });
  };
  const remember = (id: string, key: CacheKey): CacheKey => {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(id, key);
    return key;
  };
  const fromParts = (parts: RequestParts): CacheKey => {
    if (parts.body !== undefined && parts.body.length > MEMO_BODY_LIMIT) return build(parts);
    const id = `${parts.method} ${parts.path}\n${parts.query ?? ""}\n${parts.body ?? ""}`;
    return memo.get(id) ?? remember(id, build(parts));
  };
  return (c) => {
    const method = c.req.method;
    if ((method === "GET" || method === "HEAD") && !c.req.url.includes("?")) {
      // The commonest request, a GET without a query, is remembered by its path alone: no parts, no id
      // to build. A path starts with "/", every other id with the method, so they never collide.
      const path = c.req.path;
      return memo.get(path) ?? remember(path, build({ method: "GET", path }));
    }
    const parts = requestParts(c);
    return parts instanceof Promise ? parts.then(fromParts) : fromParts(parts);
  };
}
