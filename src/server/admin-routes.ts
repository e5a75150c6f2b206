import { Hono } from "hono";
import type { Cache } from "../chain/cache.ts";
import type { CachePlugin } from "../options.ts";
import type { Guards } from "./access.ts";
import { renderDashboard } from "./dashboard.ts";
import { jobBody, validate } from "./schemas.ts";
import { statsOf, type LatencyWindow } from "./stats.ts";

/** Health, metrics, stats, the plugins' jobs and the dashboard: what each plugin declares in `capabilities`. */
export function adminRoutes(cache: Cache, plugins: readonly CachePlugin[], latency: LatencyWindow, guards: Guards): Hono {
  const app = new Hono();
  const prometheus = plugins.find((plugin) => plugin.capabilities?.prometheus)?.capabilities!.prometheus;
  const jobs = plugins.flatMap((plugin) => (plugin.capabilities?.job ? [plugin.capabilities.job] : []));
  const noWarming = { error: "no warming plugin is configured", hint: 'add { "use": "warming" } to "plugins" in the config' };

  app.get("/health", async (c) => {
    const health = await cache.health();
    return c.json(health, health.state === "down" ? 503 : 200);
  });

  app.get("/metrics", guards.metrics, (c) => {
    if (!prometheus)
      return c.json(
        { error: "no metrics plugin is configured", hint: 'add { "use": "metrics" } to "plugins" in the config' },
        501,
      );
    return c.text(prometheus(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  app.get("/stats", guards.admin, (c) => c.json(statsOf(cache, latency, plugins)));

  for (const job of jobs) {
    app.get(`/v1/${job.route}`, guards.admin, (c) => c.json(job.status()));
    app.post(`/v1/${job.route}`, guards.admin, validate("json", jobBody), (c) => {
      if (c.req.valid("json").cancel) {
        job.cancel();
        return c.json(job.status());
      }
      job.start("api");
      return c.json(job.status(), 202);
    });
  }
  if (!jobs.some((job) => job.route === "warm")) app.on(["GET", "POST"], "/v1/warm", guards.admin, (c) => c.json(noWarming, 501));

  app.get("/", (c) => c.html(renderDashboard()));

  return app;
}
