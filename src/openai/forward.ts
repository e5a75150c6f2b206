import type { Context } from "hono";
import { isObject, type Json } from "./answer.ts";
import { forwardedHeaders, UpstreamFailure, type Upstream } from "./upstream.ts";

/** A JSON object body, or undefined. */
export function parseJson(raw: Uint8Array<ArrayBuffer>): Json | undefined {
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(raw));
    return isObject(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

/** `base`'s headers with `ours` set on top. */
export function merged(base: Headers, ours: Headers): Headers {
  const headers = new Headers(base);
  ours.forEach((value, name) => headers.set(name, value));
  return headers;
}

/** Forwards the request (or the given body to the given path) and streams the upstream's answer back as it comes. */
export async function passThrough(
  c: Context,
  upstream: Upstream,
  override?: { path: string; body: Uint8Array<ArrayBuffer>; reason: string },
): Promise<Response> {
  const url = new URL(c.req.url);
  const method = c.req.method;
  const body = override?.body ?? (method === "GET" || method === "HEAD" ? undefined : c.req.raw.body);
  try {
    const { response } = await upstream.send(override?.path ?? url.pathname.replace(/^\/v1/, ""), c.req.raw.headers, {
      method,
      body,
      search: url.search,
    });
    const headers = forwardedHeaders(response);
    if (override) headers.set("x-ragcache", "BYPASS");
    if (override) headers.set("x-ragcache-reason", override.reason.replace(/[^\x20-\x7e]/g, "?").slice(0, 200));
    return new Response(response.body, { status: response.status, headers });
  } catch (error) {
    if (error instanceof UpstreamFailure) return error.toResponse();
    throw error;
  }
}
