import type { Context, MiddlewareHandler, Next } from "hono";
import type { Cache } from "../chain/cache.ts";
import { requestDirectives } from "../cache-control.ts";
import { isRagCacheError, toError } from "../errors.ts";
import type { Resolution } from "../options.ts";
import type { CacheKey, Duration, MaybePromise } from "../types.ts";
import { keyResolver } from "./key-resolver.ts";
import type { KeyFunction } from "./request-key.ts";
import {
  isStoredResponse,
  replay,
  SAFE_HEADERS,
  storeResponse,
  uncacheableReason,
  variesBy,
  type StoredResponse,
} from "./stored-response.ts";

/**
 * What the `ragcache` middleware takes: the chain, and how responses are keyed, kept and tagged.
 * @example
 * ```ts
 * ragcache({ cache, namespace: "http", ttl: "5m", grace: "1h", tags: ["rag"], methods: ["GET", "POST"] });
 * ```
 */
export interface RagCacheMiddlewareOptions {
  /** The chain responses are cached in. Required. */
  cache: Cache;
  /**
   * The key of a request. Default: method, path, sorted query string and a hash of the (canonical JSON)
   * body. With the default key, requests carrying `Authorization` pass through (BYPASS) and responses
   * with a `Vary` header are not stored, since neither the credentials nor the varying request headers
   * are in the key; a custom key that includes what matters lifts both.
   */
  key?: KeyFunction;
  /** Namespace of the cached responses. Default "http". */
  namespace?: string;
  /** How long a response stays fresh. Default: the chain's `defaultTtl`. */
  ttl?: Duration;
  /** After expiry, how long a response is still served (X-Cache: STALE) when the handler fails. Default: the chain's `defaultGrace`. */
  grace?: Duration;
  /**
   * Tags to invalidate responses by: fixed, or computed from the request and the stored response.
   * A handler adds its own with an `X-Cache-Tags: doc:1,doc:2` header, which is not sent to the client. Default none.
   */
  tags?: readonly string[] | ((c: Context, response: StoredResponse) => readonly string[]);
  /** Methods that are cached; others pass through with X-Cache: BYPASS. Default GET, HEAD (keyed as GET) and POST. */
  methods?: readonly string[];
  /** Response headers stored and replayed on a hit. Default `SAFE_HEADERS` (never Set-Cookie). */
  storeHeaders?: readonly string[];
}

/** Thrown from the loader so the chain stores nothing; the response itself stays with its request. */
class NotCacheable extends Error {}

const TAGS_HEADER = "x-cache-tags";
const ALLOW_STALE = Object.freeze({ allowStale: true });

/**
 * Caches 2xx responses of the routes it is mounted on in a ragcache chain. Concurrent identical
 * requests share one handler run (the chain's single flight). A failing cache never fails the
 * request: the handler's response goes through, and the chain reports the error as an event.
 * For one route, `cached(options, handler)` does the same without a middleware, and is faster.
 * @example
 * ```ts
 * app.post("/rag/query", ragcache({ cache, namespace: "http", ttl: "5m", tags: ["rag"] }), handler);
 * ```
 */
export function ragcache(options: RagCacheMiddlewareOptions): MiddlewareHandler {
  const respond = cacheResponder(options, (_c, next) => next());
  return async function ragcacheMiddleware(c, next) {
    return respond(c, next);
  };
}

/** What the cache stands in front of: the rest of the middleware chain, or one handler. It leaves its response in `c.res`. */
export type Downstream = (c: Context, next: Next) => Promise<void>;

/**
 * The middleware's work for one request, shared by `ragcache` and `cached`: a response to send, or
 * nothing when the response is `c.res`. A hit from a chain that answers synchronously (memory L1)
 * is a Response, not a promise.
 */
export function cacheResponder(
  options: RagCacheMiddlewareOptions,
  downstream: Downstream,
): (c: Context, next: Next) => MaybePromise<Response | void> {
  const { cache, ttl, grace } = options;
  const namespace = options.namespace ?? "http";
  const keyOf = keyResolver(cache, namespace, options.key);
  const methods = new Set((options.methods ?? ["GET", "HEAD", "POST"]).map((method) => method.toUpperCase()));
  const storeHeaders = options.storeHeaders ?? SAFE_HEADERS;
  const tagsOption = options.tags ?? [];

  /** The miss path: the handler runs through the chain's single flight, and what may be shared is stored. */
  const load = async (
    c: Context,
    next: Next,
    key: CacheKey,
    cached: Resolution<unknown> | undefined,
  ): Promise<Response | void> => {
    let ran = false;
    let ownSucceeded = false;
    const handlerTags: string[] = [];
    const loader = async (): Promise<StoredResponse> => {
      ran = true;
      await downstream(c, next);
      const response = c.res;
      const reason = c.error
        ? "the handler threw"
        : !c.finalized
          ? "the handler set no response"
          : (uncacheableReason(response) ?? (options.key ? undefined : variesBy(response)));
      if (reason) {
        ownSucceeded = !c.error && response.ok;
        throw new NotCacheable(reason);
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      c.res = new Response(bytes, response);
      const tagHeader = response.headers.get(TAGS_HEADER);
      if (tagHeader) {
        handlerTags.push(
          ...tagHeader
            .split(",")
            .map((tag) => tag.trim())
            .filter(Boolean),
        );
        c.header(TAGS_HEADER, undefined);
      }
      return storeResponse(response, bytes, storeHeaders);
    };
    const tags = (stored: StoredResponse) => [
      ...(typeof tagsOption === "function" ? tagsOption(c, stored) : tagsOption),
      ...handlerTags,
    ];
    let resolution;
    try {
      // Only an entry in grace needs the chain's stale-if-error walk; otherwise the lookup already missed.
      resolution = await cache.resolve<StoredResponse>(key, loader, { ttl, grace, tags, refresh: cached?.status !== "stale" });
    } catch (error) {
      // E_LOADER_FAILED: another process's handler ran for this key and gave nothing to cache; it reported why.
      if (!(error instanceof NotCacheable) && !isRagCacheError(error, "E_LOADER_FAILED")) report(cache, "store", error, key);
      if (!ran) return bypass(c, next, downstream);
      c.header("X-Cache", "MISS");
      return;
    }
    const { value, status, layer } = resolution;
    if (ran && (status === "miss" || ownSucceeded)) return void c.header("X-Cache", "MISS");
    if (!isStoredResponse(value)) {
      report(cache, "replay", new Error(`the entry of ${key.id} is not a cached response`), key);
      if (ran) return void c.header("X-Cache", "MISS");
      return bypass(c, next, downstream);
    }
    const response = replay(value, status === "miss" ? "MISS" : "STALE", layer);
    if (!ran) return response;
    // The handler ran and failed, and an entry in grace answers instead; drop the failed response's headers.
    c.res = undefined;
    c.res = response;
  };

  /** A key or lookup that failed is reported, and the request goes to the handler uncached. */
  const failed = (c: Context, next: Next, operation: string, error: unknown, key?: CacheKey) => {
    report(cache, operation, error, key);
    return bypass(c, next, downstream);
  };

  const answer = (c: Context, next: Next, key: CacheKey, cached: Resolution<unknown> | undefined) =>
    cached?.status === "hit" && isStoredResponse(cached.value)
      ? replay(cached.value, "HIT", cached.layer)
      : load(c, next, key, cached);

  const lookup = (c: Context, next: Next, key: CacheKey, noCache: boolean): MaybePromise<Response | void> => {
    if (noCache) return load(c, next, key, undefined);
    let found;
    try {
      found = cache.lookup(key, ALLOW_STALE);
    } catch (error) {
      return failed(c, next, "lookup", error, key);
    }
    if (!(found instanceof Promise)) return answer(c, next, key, found);
    return found.then(
      (cached) => answer(c, next, key, cached),
      (error: unknown) => failed(c, next, "lookup", error, key),
    );
  };

  // A hit awaits nothing: with the memory layer the key and the lookup answer synchronously, so a hit
  // is a Response without a promise.
  return function respond(c, next) {
    if (!methods.has(c.req.method)) return bypass(c, next, downstream);
    const headers = c.req.raw.headers;
    const directives = requestDirectives(headers.get("cache-control") ?? undefined);
    // One client's authorized response must never answer another client.
    if (directives.noStore || (!options.key && headers.has("authorization"))) return bypass(c, next, downstream);
    let key;
    try {
      key = keyOf(c);
    } catch (error) {
      return failed(c, next, "key", error);
    }
    if (!(key instanceof Promise)) return lookup(c, next, key, directives.noCache);
    return key.then(
      (resolved) => lookup(c, next, resolved, directives.noCache),
      (error: unknown) => failed(c, next, "key", error),
    );
  };
}

async function bypass(c: Context, next: Next, downstream: Downstream): Promise<void> {
  await downstream(c, next);
  c.header("X-Cache", "BYPASS");
}

function report(cache: Cache, operation: string, error: unknown, key?: CacheKey): void {
  if (isRagCacheError(error, "E_CLOSED")) return;
  cache.emit("error", { layer: "hono", operation, error: toError(error), key });
}
