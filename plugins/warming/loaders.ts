import { z } from "zod";
import { durationSchema } from "../../src/index.ts";
import { toMs, type Duration, type KeyParams, type MaybePromise } from "../../src/index.ts";

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
export interface HttpLoader {
  url: string;
  /** Extra request headers (an API key …). Default none. */
  headers?: Record<string, string>;
  /** Longest wait for one answer. Default "30s". */
  timeout?: Duration;
  /** TTL of the entries this loader warms. Default: the plugin's `ttl`. */
  ttl?: Duration;
}

export const httpLoaderSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).optional(),
  timeout: durationSchema.optional(),
  ttl: durationSchema.optional(),
});

/**
 * A warming loader that POSTs `{ namespace, query, params }` to a URL and takes the JSON answer.
 * @example
 * ```ts
 * warming({ loaders: { retrieval: httpLoader({ url: "http://127.0.0.1:3000/retrieve", timeout: "10s" }) } });
 * ```
 */
export function httpLoader(spec: HttpLoader): WarmLoader {
  const timeoutMs = toMs(spec.timeout ?? "30s", "timeout");
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
