const NO_STORE = /(^|[\s,])no-store\b/i;
const NO_CACHE = /(^|[\s,])no-cache\b/i;
const NONE = Object.freeze({ noStore: false, noCache: false });

/**
 * What a request's `Cache-Control` asks of a cache: `no-store`, neither read nor write it;
 * `no-cache`, do not answer from it, but store the fresh answer. The HTTP middleware and the
 * OpenAI proxy read requests the same way.
 * @example
 * ```ts
 * const { noStore, noCache } = requestDirectives(c.req.header("cache-control"));
 * ```
 */
export function requestDirectives(cacheControl: string | undefined): { readonly noStore: boolean; readonly noCache: boolean } {
  if (!cacheControl) return NONE;
  return { noStore: NO_STORE.test(cacheControl), noCache: NO_CACHE.test(cacheControl) };
}
