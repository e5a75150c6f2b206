import type { Context } from "hono";
import { canonicalJson, sha256Hex } from "../key.ts";
import type { KeyParams } from "../types.ts";

/** What the middleware keys a request by: `text` is normalized by the chain, `params` are kept exact. */
export interface RequestKey {
  text: string;
  params?: KeyParams;
}

/**
 * The middleware's `key` option: a request's key text, or text plus exact parameters.
 * @example
 * ```ts
 * const byQuestion: KeyFunction = async (c) => ({ text: (await c.req.json()).question, params: { model: "m1" } });
 * ```
 */
export type KeyFunction = (c: Context) => string | RequestKey | Promise<string | RequestKey>;

/** What the default key is made of: the method (HEAD as GET), the exact path, the sorted query, the body. */
export interface RequestParts {
  method: string;
  path: string;
  query?: string;
  /** The body as sent; the key holds only its hash. */
  body?: string;
}

/**
 * The parts of a request the default key is made of. Synchronous unless there is a body to read, so a
 * GET hit never waits on it.
 * @example
 * ```ts
 * ragcache({ cache, key: async (c) => ({ text: (await requestParts(c)).path }) });
 * ```
 */
export function requestParts(c: Context): RequestParts | Promise<RequestParts> {
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  const parts: RequestParts = { method, path: c.req.path };
  const mark = c.req.url.indexOf("?");
  if (mark >= 0) {
    const search = [...new URLSearchParams(c.req.url.slice(mark + 1))].sort(([a, x], [b, y]) =>
      a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0,
    );
    const query = new URLSearchParams(search).toString();
    if (query) parts.query = query;
  }
  if (method === "GET") return parts;
  return c.req.text().then((body) => {
    if (body) parts.body = body;
    return parts;
  });
}

/**
 * Method, path, sorted query string and a hash of the body. The path and query are also in the
 * parameters because the chain lower-cases key text, and `/Doc/A` and `/doc/a` are different resources.
 * A JSON body is hashed in canonical form, so the order of its fields does not split the cache.
 */
export function keyOfParts({ method, path, query, body }: RequestParts): RequestKey {
  return {
    text: `${method} ${path}`,
    params: { path, query, body: body === undefined ? undefined : sha256Hex(canonicalBody(body)) },
  };
}

/**
 * The middleware's default key: method, path, sorted query string and a hash of the canonical body.
 * @example
 * ```ts
 * ragcache({ cache, key: (c) => (c.req.path === "/search" ? searchKey(c) : defaultRequestKey(c)) });
 * ```
 */
export function defaultRequestKey(c: Context): RequestKey | Promise<RequestKey> {
  const parts = requestParts(c);
  return parts instanceof Promise ? parts.then(keyOfParts) : keyOfParts(parts);
}

function canonicalBody(body: string): string {
  try {
    return canonicalJson(JSON.parse(body));
  } catch {
    return body;
  }
}
