import { z } from "zod";
import { durationSchema, parseOptions, positiveDurationSchema } from "../../src/index.ts";
import { toMs, type KeyParams, type MaybePromise } from "../../src/index.ts";

/** What a warming loader is told besides the query: its namespace, and a signal to stop. */
export interface WarmContext {
  namespace: string;
  /** Aborted when the pass is cancelled or the cache closes. */
  signal: AbortSignal;
}

/**
 * Computes a fresh value for a query, as the application would on a miss.
 * @example
 * ```ts
 * const load: WarmLoader = (query, params, { signal }) => fetch(searchUrl(query, params), { signal }).then((r) => r.json());
 * ```
 */
export type WarmLoader = (query: string, params: KeyParams | undefined, context: WarmContext) => MaybePromise<unknown>;

/** A loader reachable over HTTP, for config files: POST `{ namespace, query, params }` → the JSON value. */
export const httpLoaderSchema = z.strictObject({
  /** The http(s) URL the loader POSTs to. */
  url: z.url({ protocol: /^https?$/ }),
  /** Extra request headers (an API key …). Default none. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Longest wait for one answer. Default "30s". */
  timeout: positiveDurationSchema.default("30s"),
  /** TTL of the entries this loader warms. Default: the plugin's `ttl`. */
  ttl: durationSchema.optional(),
});

export type HttpLoader = z.input<typeof httpLoaderSchema>;

/**
 * A warming loader that POSTs `{ namespace, query, params }` to a URL and takes the JSON answer; its
 * options are checked as in config.
 * @example
 * ```ts
 * warming({ loaders: { retrieval: httpLoader({ url: "http://127.0.0.1:3000/retrieve", timeout: "10s" }) } });
 * ```
 */
export function httpLoader(options: HttpLoader): WarmLoader {
  const spec = parseOptions(httpLoaderSchema, options, "warming");
  const timeoutMs = toMs(spec.timeout, "timeout");
  return async (query, params, { namespace, signal }) => {
    const response = await fetch(spec.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...spec.headers },
      body: JSON.stringify({ namespace, query, params }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    if (!response.ok) throw new Error(`${spec.url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    return await response.json();
  };
}
