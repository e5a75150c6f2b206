import { OpenAPIHono } from "@hono/zod-openapi";
import type { Cache } from "../chain/cache.ts";
import type { OpenAIProxy } from "../openai/index.ts";
import type { CachePlugin, PluginJob } from "../options.ts";
import type { Guards } from "./access.ts";
import { health, jobRoutes, metrics, stats } from "./api.ts";
import { renderDashboard } from "./dashboard.ts";
import { renderDocs } from "./docs.ts";
import { invalidRequest } from "./schemas.ts";
import { statsOf, type LatencyWindow } from "./stats.ts";

const NO_METRICS = { error: "no metrics plugin is configured", hint: 'add { "use": "metrics" } to "plugins" in the config' };
const NO_WARMING = { error: "no warming plugin is configured", hint: 'add { "use": "warming" } to "plugins" in the config' };

/**
 * Health, metrics, stats, the plugins' jobs, the dashboard and the API docs: what each plugin declares
 * in `capabilities`; the OpenAI proxy's counters in /metrics and /stats when there is one.
 */
export function adminRoutes(
  cache: Cache,
  plugins: readonly CachePlugin[],
  latency: LatencyWindow,
  guards: Guards,
  gatewayOf: () => OpenAIProxy | undefined,
): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: invalidRequest });
  const prometheus = plugins.find((plugin) => plugin.capabilities?.prometheus)?.capabilities!.prometheus;
  const jobs = plugins.flatMap((plugin) => (plugin.capabilities?.job ? [plugin.capabilities.job] : []));

  app.openapi(health, async (c) => {
    const answer = await cache.health();
    return answer.state === "down" ? c.json(answer, 503) : c.json(answer, 200);
  });

  app.openapi({ ...metrics, middleware: [guards.metrics] }, (c) => {
    const gateway = gatewayOf();
    return prometheus || gateway
      ? c.text(`${prometheus?.() ?? ""}${gateway?.prometheus() ?? ""}`, 200, {
          "content-type": "text/plain; version=0.0.4; charset=utf-8",
        })
      : c.json(NO_METRICS, 501);
  });

  app.openapi({ ...stats, middleware: [guards.admin] }, (c) => {
    const gateway = gatewayOf();
    return c.json({ ...statsOf(cache, latency, plugins), ...(gateway ? { gateway: gateway.stats() } : {}) }, 200);
  });

  for (const job of jobs) mountJob(app, job.route, guards, job);
  if (!jobs.some((job) => job.route === "warm")) mountJob(app, "warm", guards);

  app.get("/", (c) => c.html(renderDashboard()));
  app.get("/docs", (c) => c.html(renderDocs()));
  return app;
}

/** GET /v1/<route> (status) and POST (start, or cancel with `{ "cancel": true }`); 501 without the job. */
function mountJob(app: OpenAPIHono, route: string, guards: Guards, job?: PluginJob): void {
  const { status, control } = jobRoutes(route);
  app.openapi({ ...status, middleware: [guards.admin] }, (c) => (job ? c.json(job.status(), 200) : c.json(NO_WARMING, 501)));
  app.openapi({ ...control, middleware: [guards.admin] }, (c) => {
    if (!job) return c.json(NO_WARMING, 501);
    if (c.req.valid("json").cancel) {
      job.cancel();
      return c.json(job.status(), 200);
    }
    job.start("api");
    return c.json(job.status(), 202);
  });
}
