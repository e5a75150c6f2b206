import type { Context } from "hono";
import { requestDirectives } from "../cache-control.ts";
import { isObject, type Json } from "./answer.ts";
import { forwardedHeaders, openAIError, UpstreamFailure, type Upstream } from "./upstream.ts";

/** A request to a cached endpoint, read: its bytes, its JSON body and what its headers ask of the cache. */
export interface CachedRequest {
  raw: Uint8Array<ArrayBuffer>;
  body: Json;
  /** The body's model, "(none)" when it names none (for the counters). */
  model: string;
  /** `Cache-Control: no-store`: the request passes through, neither read from nor written to the cache. */
  noStore: boolean;
  /** `Cache-Control: no-cache`: the cache is not read, but the fresh answer is stored. */
  noCache: boolean;
  /** The credential the caller sent (a bearer token, or Azure's `api-key`): what its scope is made of. */
  credential: string | undefined;
}

/** The request read as a JSON object, or the 400 response when its body is not one. */
export async function readCachedRequest(c: Context): Promise<CachedRequest | Response> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const body = parseJson(raw);
  if (!body) return openAIError(400, "the body must be a JSON object", "invalid_request_error");
  return {
    raw,
    body,
    model: typeof body.model === "string" ? body.model : "(none)",
    ...requestDirectives(c.req.header("cache-control")),
    credential: c.req.header("authorization") ?? c.req.header("api-key"),
  };
}

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
