import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import type { Cache } from "../chain/cache.ts";
import type { OpenAIProxy } from "../openai/index.ts";
import type { CachePlugin } from "../options.ts";
import { renderDashboard } from "./dashboard.ts";
import { validate, warmBody } from "./schemas.ts";
import { statsOf, type LatencyWindow } from "./stats.ts";

/** The shape the warming plugin exposes; found at run time by name, never imported. */
interface Warming extends CachePlugin {
  /** Starts a pass (or joins the running one) and tracks it on the chain itself. */
  run(options?: { trigger?: string }): PromiseLike<unknown>;
  cancel(): void;
  status(): unknown;
}

interface Metrics extends CachePlugin {
  prometheus(): string;
}

function pluginNamed<P extends CachePlugin>(plugins: readonly CachePlugin[], name: string, method: keyof P): P | undefined {
  return plugins.find(
    (plugin) => plugin.name === name && typeof (plugin as unknown as Record<PropertyKey, unknown>)[method] === "function",
  ) as P | undefined;
}

/** Health, metrics, stats, warming and the dashboard; the OpenAI proxy's counters when there is one. */
export function adminRoutes(
  cache: Cache,
  plugins: readonly CachePlugin[],
  latency: LatencyWindow,
  guard: MiddlewareHandler,
  gateway?: OpenAIProxy,
): Hono {
  const app = new Hono();
  const metrics = pluginNamed<Metrics>(plugins, "metrics", "prometheus");
  const warming = pluginNamed<Warming>(plugins, "warming", "run");
  const noWarming = { error: "no warming plugin is configured", hint: 'add { "use": "warming" } to "plugins" in the config' };

  app.get("/health", async (c) => {
    const health = await cache.health();
    return c.json(health, health.state === "down" ? 503 : 200);
  });

  app.get("/metrics", (c) => {
    if (!metrics && !gateway)
      return c.json(
        { error: "no metrics plugin is configured", hint: 'add { "use": "metrics" } to "plugins" in the config' },
        501,
      );
    return c.text(`${metrics?.prometheus() ?? ""}${gateway?.prometheus() ?? ""}`, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  app.get("/stats", (c) => c.json({ ...statsOf(cache, latency, plugins), ...(gateway ? { gateway: gateway.stats() } : {}) }));

  app.get("/v1/warm", guard, (c) => (warming ? c.json(warming.status()) : c.json(noWarming, 501)));

  app.post("/v1/warm", guard, validate("json", warmBody), (c) => {
    if (!warming) return c.json(noWarming, 501);
    if (c.req.valid("json").cancel) {
      warming.cancel();
      return c.json(warming.status());
    }
    warming.run({ trigger: "api" });
    return c.json(warming.status(), 202);
  });

  app.get("/", (c) => c.html(renderDashboard()));

  return app;
}
