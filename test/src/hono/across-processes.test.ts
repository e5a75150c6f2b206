// Pins src/hono/middleware.ts over a redis layer, as the middleware and as the cached handler: two chains on one Redis act as two processes.
import { describe, expect, test } from "bun:test";
import { Hono, type Context } from "hono";
import { createCache } from "ragcache";
import { cached, ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { redisForTests, untilPeersMeet } from "../../support/redis-for-tests.ts";

const shared = redisForTests();

/** Two "processes": each its own chain (memory over the shared Redis) and app, one shared handler count. */
function processes(form: "middleware" | "handler", prefix: string, status: number) {
  let runs = 0;
  const errors: string[] = [];
  const caches = [0, 1].map(() =>
    shared.track(createCache({ layers: [memory(), redis({ url: shared.url, prefix, log: () => {} })], log: false })),
  );
  const apps = caches.map((cache) => {
    cache.on("error", ({ layer, operation }) => errors.push(`${layer} ${operation}`));
    const app = new Hono();
    const handler = async (c: Context) => {
      runs++;
      await Bun.sleep(200);
      return c.json({ answer: "42" }, status as 200);
    };
    if (form === "handler") app.get("/rag/answer", cached({ cache, ttl: "1m" }, handler));
    else app.get("/rag/answer", ragcache({ cache, ttl: "1m" }), handler);
    return app;
  });
  const both = async () => {
    await untilPeersMeet(caches);
    return Promise.all(apps.map((app) => app.request("/rag/answer")));
  };
  return { both, runs: () => runs, errors };
}

describe.each(["middleware", "handler"] as const)("hono %s across processes", (form) => {
  test("concurrent requests for one response in two processes run the handler once; both answer it", async () => {
    const { both, runs } = processes(form, `hono-once-${crypto.randomUUID()}:`, 200);
    const responses = await both();
    expect(await Promise.all(responses.map((response) => response.json()))).toEqual([{ answer: "42" }, { answer: "42" }]);
    expect(runs()).toBe(1);
  });

  test("an uncacheable response: the waiting process runs its own handler, and reports no error for the other's", async () => {
    const { both, runs, errors } = processes(form, `hono-uncacheable-${crypto.randomUUID()}:`, 503);
    const responses = await both();
    expect(responses.map((response) => response.status)).toEqual([503, 503]);
    expect(runs()).toBe(2);
    expect(errors).toEqual([]);
  });
});
