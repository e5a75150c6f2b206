// Pins plugins/metrics/render.ts and prometheus.ts against the reference linter.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { redis } from "ragcache/redis";
import { chaos } from "ragcache/testing";
import { warming } from "ragcache/warming";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const PROMTOOL = "/usr/bin/promtool";
let server: RedisServer | undefined;
afterAll(async () => {
  await server?.stop();
});

/** `promtool check metrics` on the text: its exit code and what it complained about. */
async function promtoolCheck(text: string): Promise<{ code: number; problems: string }> {
  const child = Bun.spawn([PROMTOOL, "check", "metrics"], { stdin: new Blob([text]), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, problems: `${out}${err}`.trim() };
}

describe("Prometheus exposition", () => {
  test("promtool check metrics finds nothing to complain about, with every family present", async () => {
    if (!existsSync(PROMTOOL))
      throw new Error(`${PROMTOOL} is missing: run \`sh scripts/setup.sh test\` or \`apt-get install prometheus\``);
    server = await startRedis();
    const m = metrics({ minRequests: 1, hitRateThreshold: 0.99 });
    const w = warming({
      schedule: false,
      warmList: [{ query: "q" }, { query: "r" }],
      loaders: { default: (query) => `answer to ${query}` },
    });
    const flaky = chaos(memory({ name: "flaky" }));
    const cache = createCache({
      layers: [memory({ max: 1 }), flaky, redis({ url: server.url, prefix: `promtool-${Date.now()}:` })],
      plugins: [m, w],
      sampleEvery: 1,
      defaultGrace: "1h",
      log: false,
    });
    await cache.ready;
    await w.run({ trigger: "test" });
    for (let i = 0; i < 20; i++) await cache.get(`miss ${i}`);
    await cache.set("a", 1);
    await cache.set("b", 2);
    await cache.get("a");
    flaky.alwaysThrow(new Error("down"));
    await cache.get("c");
    m.check();
    const text = m.prometheus();
    await cache.close();
    for (const family of ["ragcache_pool_", "ragcache_warming_", "ragcache_layer_errors_total", "ragcache_layer_evictions_total"])
      expect(text).toContain(family);
    expect(await promtoolCheck(text)).toEqual({ code: 0, problems: "" });
  });

  test("promtool does catch a gauge named like a counter (the check is real)", async () => {
    const text = "# HELP ragcache_warming_total Items.\n# TYPE ragcache_warming_total gauge\nragcache_warming_total 3\n";
    const result = await promtoolCheck(text);
    expect(result.code).not.toBe(0);
    expect(result.problems).toContain('non-counter metrics should not have "_total" suffix');
  });
});
