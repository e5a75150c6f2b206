import type { Context } from "hono";
import { canonicalJson, hash128 } from "../key.ts";
import type { KeyParams } from "../types.ts";

/** What the middleware keys a request by: `text` is normalized by the chain, `params` are kept exact. */
export interface RequestKey {
  text: string;
  params?: KeyParams;
}

export type KeyFunction = (c: Context) => string | RequestKey | Promise<string | RequestKey>;

/**
 * Method, path, sorted query string and a hash of the body. The path and query are also in the
 * parameters because the chain lower-cases key text, and `/Doc/A` and `/doc/a` are different resources.
 * A JSON body is hashed in canonical form, so the order of its fields does not split the cache.
 */
export async function defaultRequestKey(c: Context): Promise<RequestKey> {
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  const path = c.req.path;
  const params: KeyParams = { path };
  const mark = c.req.url.indexOf("?");
  if (mark >= 0) {
    const search = [...new URLSearchParams(c.req.url.slice(mark + 1))].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
    const query = new URLSearchParams(search).toString();
    if (query) params.query = query;
  }
  if (method !== "GET") {
    const body = await c.req.text();
    if (body) params.body = hash128(canonicalBody(body));
  }
  return { text: `${method} ${path}`, params };
}

function canonicalBody(body: string): string {
  try {
    return canonicalJson(JSON.parse(body));
  } catch {
    return body;
  }
}
