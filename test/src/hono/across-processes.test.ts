// Pins src/hono/middleware.ts over a redis layer: two chains on one Redis act as two processes.
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createCache } from "ragcache";
import { ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { redisForTests } from "../../support/redis-for-tests.ts";

const shared = redisForTests();

/** Two "processes": each its own chain (memory over the shared Redis) and app, one shared handler count. */
function processes(prefix: string, status: number) {
  let runs = 0;
  const errors: string[] = [];
  const apps = [0, 1].map(() => {
    const cache = shared.track(
      createCache({ layers: [memory(), redis({ url: shared.url, prefix, log: () => {} })], log: false }),
    );
    cache.on("error", ({ layer, operation }) => errors.push(`${layer} ${operation}`));
    const app = new Hono();
    app.use("/rag/*", ragcache({ cache, ttl: "1m" }));
    app.get("/rag/answer", async (c) => {
      runs++;
      await Bun.sleep(200);
      return c.json({ answer: "42" }, status as 200);
    });
    return app;
  });
  const both = () => Promise.all(apps.map((app) => app.request("/rag/answer")));
  return { both, runs: () => runs, errors };
}

describe("hono middleware across processes", () => {
  test("concurrent requests for one response in two processes run the handler once; both answer it", async () => {
    const { both, runs } = processes(`hono-once-${crypto.randomUUID()}:`, 200);
    const responses = await both();
    expect(await Promise.all(responses.map((response) => response.json()))).toEqual([{ answer: "42" }, { answer: "42" }]);
    expect(runs()).toBe(1);
  });

  test("an uncacheable response: the waiting process runs its own handler, and reports no error for the other's", async () => {
    const { both, runs, errors } = processes(`hono-uncacheable-${crypto.randomUUID()}:`, 503);
    const responses = await both();
    expect(responses.map((response) => response.status)).toEqual([503, 503]);
    expect(runs()).toBe(2);
    expect(errors).toEqual([]);
  });
});
