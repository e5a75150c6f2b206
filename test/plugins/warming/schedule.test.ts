import { afterEach, describe, expect, test } from "bun:test";
import { createCache, loadConfig, type Cache } from "ragcache";
import { memory } from "ragcache/memory";
import { warming, type WarmingPlugin, type WarmingProgress } from "ragcache/warming";

const open: Cache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((cache) => cache.close()));
});

describe("warming triggers and config", () => {
  test("a cron schedule starts a pass when it comes due", async () => {
    const w = warming({ schedule: "* * * * * *", warmList: [{ query: "q" }], loaders: { default: () => "v" } });
    const cache = createCache({ layers: [memory()], plugins: [w] });
    open.push(cache);
    await cache.ready;
    const finished = new Promise<WarmingProgress>((resolve) =>
      cache.on("warming", (p) => void (p.state === "finished" && resolve(p))),
    );
    expect(new Date(w.status().nextRun!).getTime() - Date.now()).toBeLessThanOrEqual(1_000);
    expect(await finished).toMatchObject({ trigger: "schedule", done: 1, failed: 0 });
    expect(await cache.get("q")).toBe("v");
  });

  test("the default schedule is 02:00 and `hour` is its shorthand (croner's next-run computation)", async () => {
    const byDefault = warming();
    const at3 = warming({ hour: 3, schedule: "*/5 * * * *" });
    const cache = createCache({ layers: [memory()], plugins: [byDefault, at3] });
    open.push(cache);
    await cache.ready;
    for (const [plugin, hour] of [
      [byDefault, 2],
      [at3, 3],
    ] as const) {
      const next = new Date(plugin.status().nextRun!);
      expect([next.getHours(), next.getMinutes(), next.getSeconds()]).toEqual([hour, 0, 0]);
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    }
    expect(at3.status().schedule).toBe("0 3 * * *");
  });

  test("env aliases RAG_CACHE_WARMING_HOUR and RAG_CACHE_WARMING_TOP_N reach the plugin", async () => {
    const options = await loadConfig(
      { layers: [{ use: "memory" }], plugins: [{ use: "warming", topN: 50 }] },
      { env: { RAG_CACHE_WARMING_HOUR: "4", RAG_CACHE_WARMING_TOP_N: "7" } },
    );
    const cache = createCache(options);
    open.push(cache);
    await cache.ready;
    expect((options.plugins![0] as WarmingPlugin).status()).toMatchObject({ schedule: "0 4 * * *", topN: 7 });
  });

  test("in config files a namespace's loader is an HTTP endpoint: POST { namespace, query, params } → JSON", async () => {
    const received: unknown[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const body = (await request.json()) as { query: string };
        received.push(body);
        return body.query === "bad" ? new Response("no such document", { status: 500 }) : Response.json({ docs: [body.query] });
      },
    });
    try {
      const options = await loadConfig({
        layers: [{ use: "memory" }],
        plugins: [
          {
            use: "warming",
            schedule: false,
            loaders: { docs: { url: `http://127.0.0.1:${server.port}/load` } },
            warmList: [
              { namespace: "docs", query: "rag", params: { k: 2 } },
              { namespace: "docs", query: "bad" },
            ],
          },
        ],
      });
      const cache = createCache(options);
      open.push(cache);
      await cache.ready;
      const result = await (options.plugins![0] as WarmingPlugin).run();
      expect(result).toMatchObject({ done: 2, failed: 1 });
      expect(result.failures[0]!.error).toContain("500");
      expect(await cache.get("rag", { namespace: "docs", params: { k: 2 } })).toEqual({ docs: ["rag"] });
      expect(received).toContainEqual({ namespace: "docs", query: "rag", params: { k: 2 } });
    } finally {
      server.stop(true);
    }
  });

  test("config validation names bad warming options", async () => {
    const error = await loadConfig(
      { layers: [{ use: "memory" }], plugins: [{ use: "warming", topN: 0, loaders: { docs: { url: "ftp://x" } }, hour: 25 }] },
      { env: {} },
    ).catch((e) => e);
    expect(error.code).toBe("E_CONFIG_INVALID");
    for (const path of ["plugins.0.topN", "plugins.0.loaders.docs.url", "plugins.0.hour"]) expect(error.message).toContain(path);
  });
});
