import type { Context, Env, Handler, Input, Next } from "hono";
import type { BlankInput, HandlerResponse } from "hono/types";
import { cacheResponder, type RagCacheMiddlewareOptions } from "./middleware.ts";

/**
 * One route's handler, cached: what `ragcache(options)` in front of it does, with the same options and
 * behaviour, but as the route's only handler. Hono calls a route's only handler directly and sends a
 * Response it returns synchronously as is, where any middleware goes through its async compose: a hit
 * from a memory layer is then returned without a promise. Use the middleware to cover many routes at once.
 * @example
 * ```ts
 * app.get("/rag/search", cached({ cache, ttl: "5m", tags: ["rag"] }, async (c) => c.json(await search(c.req.query("q")))));
 * ```
 */
export function cached<
  // Hono's own Handler defaults, so a handler reads the app's Variables and Bindings without naming its Env.
  E extends Env = any,
  P extends string = any,
  I extends Input = BlankInput,
  R extends HandlerResponse<any> = any,
>(options: RagCacheMiddlewareOptions, handler: Handler<E, P, I, R>): Handler<E, P, I, R> {
  /** Runs the handler as Hono's compose would: its Response becomes `c.res`, an Error it throws `c.error`. */
  const runHandler = async (c: Context, next: Next): Promise<void> => {
    try {
      const response = await handler(c as Context<E, P, I>, next);
      if (response instanceof Response && !c.finalized) c.res = response;
    } catch (error) {
      c.error = error instanceof Error ? error : new Error(String(error), { cause: error });
    }
  };
  const respond = cacheResponder(options, runHandler);

  /**
   * The response the middleware would leave in `c.res`; a handler's error goes to the app's `onError`,
   * unless an entry in grace answered; a handler that set no response leaves none, which Hono reports
   * as it would without the cache.
   */
  const settle = (c: Context): Response | undefined => {
    if (c.error && c.res.headers.get("x-cache") !== "STALE") throw c.error;
    return c.finalized ? c.res : undefined;
  };

  return function cachedHandler(c: Context<E, P, I>, next: Next) {
    const context = c as Context;
    const result = respond(context, next);
    if (result instanceof Response) return result as unknown as R;
    if (!result) return settle(context) as unknown as R;
    return result.then((response) => response ?? settle(context)) as unknown as R;
  } as Handler<E, P, I, R>;
}
