import type { Context } from "hono";
import type { Cache } from "../cache.ts";
import type { CacheKey, MaybePromise } from "../types.ts";
import { keyOfParts, requestParts, type KeyFunction, type RequestParts } from "./request-key.ts";

/** Distinct requests whose keys are remembered; building a key with parameters costs more than the rest of a hit. */
const MEMO_LIMIT = 10_000;

/** The CacheKey of a request: synchronous for a GET with the default key, so a hit adds no await for it. */
export function keyResolver(cache: Cache, namespace: string, keyOption?: KeyFunction): (c: Context) => MaybePromise<CacheKey> {
  if (keyOption) {
    return async (c) => {
      const spec = await keyOption(c);
      return typeof spec === "string" ? cache.key(spec, { namespace }) : cache.key(spec.text, { namespace, params: spec.params });
    };
  }
  const memo = new Map<string, CacheKey>();
  const fromParts = (parts: RequestParts): CacheKey => {
    const id = `${parts.method} ${parts.path}\n${parts.query ?? ""}\n${parts.body ?? ""}`;
    let key = memo.get(id);
    if (!key) {
      const { text, params } = keyOfParts(parts);
      key = cache.key(text, { namespace, params });
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(id, key);
    }
    return key;
  };
  return (c) => {
    const parts = requestParts(c);
    return parts instanceof Promise ? parts.then(fromParts) : fromParts(parts);
  };
}
