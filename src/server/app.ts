import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Cache } from "../chain/cache.ts";
import { isRagCacheError, type ErrorCode } from "../errors.ts";
import type { CachePlugin } from "../options.ts";
import { corpusRoutes } from "./corpus-routes.ts";
import { adminRoutes } from "./admin-routes.ts";
import { dataRoutes } from "./routes.ts";
import { watchLatency } from "./stats.ts";

export interface ServerAppOptions {
  cache: Cache;
  /** The chain's plugins, found by name (metrics, warming). Default none. */
  plugins?: readonly CachePlugin[];
  /** When set, writes and admin routes need `Authorization: Bearer <token>`. Default: no token, open. */
  token?: string;
  /** Largest request body, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

const STATUS_OF: Partial<Record<ErrorCode, 400 | 413 | 503>> = {
  E_INVALID_KEY: 400,
  E_KEY_TOO_LARGE: 400,
  E_INVALID_DURATION: 400,
  E_INVALID_TTL: 400,
  E_NOT_SERIALIZABLE: 400,
  E_VALUE_TOO_LARGE: 413,
  E_CLOSED: 503,
};

/** The standalone server's routes as a Hono app, for Bun.serve or `app.request()` in tests. */
export function createServerApp(options: ServerAppOptions): Hono & { close(): void } {
  const { cache, plugins = [] } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const latency = watchLatency(cache);
  const guard: MiddlewareHandler = options.token ? bearerAuth({ token: options.token }) : (_c, next) => next();
  const app = new Hono();

  app.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json({ error: `the request body is larger than ${maxBodyBytes} bytes` }, 413),
    }),
  );
  app.use("/v1/*", async (c, next) => {
    if (c.req.raw.body && !/^application\/([\w.+-]*\+)?json\b/i.test(c.req.header("content-type") ?? "")) {
      return c.json({ error: "the body must be JSON, sent with Content-Type: application/json" }, 400);
    }
    await next();
  });
  app.route("/", dataRoutes(cache, guard));
  app.route("/", corpusRoutes(cache, guard));
  app.route("/", adminRoutes(cache, plugins, latency, guard));
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      const response = error.getResponse();
      if (response.status === 401) return response;
      return c.json({ error: error.message || response.statusText }, response.status as 400);
    }
    const status = isRagCacheError(error) ? STATUS_OF[error.code] : undefined;
    if (status && isRagCacheError(error)) return c.json({ error: error.message, code: error.code }, status);
    cache.emit("error", { layer: "server", operation: `${c.req.method} ${c.req.routePath}`, error });
    return c.json({ error: "internal error" }, 500);
  });
  return Object.assign(app, { close: () => latency.stop() });
}
