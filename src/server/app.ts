import { OpenAPIHono } from "@hono/zod-openapi";
import pkg from "../../package.json" with { type: "json" };
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Cache } from "../chain/cache.ts";
import { isRagCacheError, type ErrorCode } from "../errors.ts";
import { openAIProxy, type OpenAIProxy } from "../openai/index.ts";
import type { UpstreamConfig } from "../openai/options.ts";
import type { CachePlugin } from "../options.ts";
import { guardsOf, hostGuard, type AccessOptions } from "./access.ts";
import { corpusRoutes } from "./corpus-routes.ts";
import { adminRoutes } from "./admin-routes.ts";
import { dataRoutes } from "./routes.ts";
import { watchLatency } from "./stats.ts";

export interface ServerAppOptions extends AccessOptions {
  cache: Cache;
  /** The chain's plugins; the server mounts what their `capabilities` declare (metrics, warming). Default none. */
  plugins?: readonly CachePlugin[];
  /** When set, requests whose Host is none of these (nor a loopback name) get 421. Default: any Host. */
  allowedHosts?: readonly string[];
  /** Largest request body, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** An OpenAI-compatible API to proxy and cache under /v1 (chat, completions, embeddings). Default none. */
  upstream?: UpstreamConfig;
  /** Where `upstream.apiKeyEnv` is read. Default `process.env`. */
  env?: Record<string, string | undefined>;
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
export function createServerApp(options: ServerAppOptions): OpenAPIHono & { close(): void } {
  const { cache, plugins = [] } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const latency = watchLatency(cache);
  const guards = guardsOf(options);
  const app = new OpenAPIHono();

  if (options.allowedHosts) app.use("*", hostGuard(options.allowedHosts));
  const { upstream, env } = options;
  const ownRoutes: OpenAPIHono[] = [
    dataRoutes(cache, guards),
    corpusRoutes(cache, guards),
    adminRoutes(cache, plugins, latency, guards, () => gateway),
  ];
  const gateway: OpenAIProxy | undefined =
    upstream &&
    openAIProxy({
      cache,
      upstream,
      env,
      exceptPaths: v1Prefixes(ownRoutes),
      guard: options.token ? guards.admin : undefined,
    });
  // Before the body limit and the JSON-only check: proxied requests (file uploads too) go upstream as they came.
  if (gateway) app.route("/", gateway);

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
  for (const routes of ownRoutes) app.route("/", routes);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.get("/openapi.json", guards.admin, (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "ragcache",
          version: pkg.version,
          description: "The standalone ragcache server; the docs page is GET /docs.",
        },
        security: options.token ? [{ bearer: [] }] : [],
      }),
    ),
  );
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

/**
 * The static start of every /v1 path the server answers itself (up to its first parameter), which
 * the OpenAI proxy leaves alone: taken from the routes, so a new route cannot be forwarded upstream.
 */
function v1Prefixes(apps: readonly OpenAPIHono[]): string[] {
  const paths = apps.flatMap((routes) => routes.routes.map((route) => route.path));
  const prefixes = paths.filter((path) => path.startsWith("/v1/")).map((path) => path.split(/\/[:*]/)[0]!);
  return [...new Set(prefixes)];
}
