// Pins src/server/dashboard.ts and dashboard-script.ts in headless Chromium.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startServer, type RunningServer } from "../../../src/server/start.ts";
import { fastFailingRedis } from "../../support/redis-config.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const EVERY_MS = 400;

let browser: Browser;
const servers: RunningServer[] = [];
let redisServer: RedisServer | undefined;
const dir = mkdtempSync(join(tmpdir(), "ragcache-dashboard-"));
beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run \`sh scripts/setup.sh test\` or \`apt-get install chromium\``);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
  await redisServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function open(server: RunningServer): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${server.url}/?every=${EVERY_MS}`);
  return page;
}
const cellOf = (page: Page) => (layer: string, field: string) =>
  page.textContent(`td[data-layer="${layer}"][data-field="${field}"]`);

describe("server dashboard", () => {
  test("the page shows what /stats reports per layer, p99 included, — where a layer has no samples, and plugin panels as text", async () => {
    const server = await startServer({
      config: {
        layers: [
          { use: "memory", name: "l1" },
          { use: "memory", name: "l2" },
          { use: "memory", name: "l3" },
        ],
        plugins: [
          { use: "metrics", minRequests: 5, hitRateThreshold: 0.9 },
          { use: join(import.meta.dir, "fixtures/labelled-plugin.ts"), label: "<b>bold</b>" },
        ],
        sampleEvery: 1,
      },
      port: 0,
    });
    servers.push(server);
    const { cache } = server;
    for (let i = 0; i < 6; i++) await cache.set(`q${i}`, { i });
    await Promise.resolve(cache.layers[0]!.delete(cache.key("q5")));
    for (let i = 0; i < 8; i++) await cache.get(`q${i}`);

    const page = await open(server);
    await page.waitForSelector('td[data-layer="l3"][data-field="p99"]');
    const stats = await (await fetch(`${server.url}/stats`)).json();
    const cell = cellOf(page);
    const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;

    expect(await page.textContent("#hit-rate")).toBe(percent(stats.hitRate));
    expect(await page.textContent("#hits")).toBe(String(stats.hits));
    expect(await page.textContent("#misses")).toBe(String(stats.misses));
    for (const layer of stats.layers.slice(0, 2)) {
      expect(await cell(layer.name, "hits")).toBe(String(layer.hits));
      expect(await cell(layer.name, "misses")).toBe(String(layer.misses));
      expect(await cell(layer.name, "hitRate")).toBe(percent(layer.hitRate));
      for (const p of ["p50", "p95", "p99"]) expect(await cell(layer.name, p)).toBe(layer.latencyMs[p].toFixed(3));
      expect(await cell(layer.name, "state")).toBe("up");
    }
    expect(stats.layers[0]).toMatchObject({ hits: 5, misses: 3 });
    expect(stats.layers[1]).toMatchObject({ hits: 1, misses: 2 });
    expect(stats.layers[2]).toMatchObject({ hits: 0, misses: 2 });
    for (const p of ["p50", "p95", "p99"]) expect(await cell("l3", p)).toBe("—");
    await page.waitForFunction(
      () => document.querySelector('td[data-layer="l1"][data-field="errorsPerSecond"]')?.textContent !== "—",
    );
    expect(await cell("l1", "errorsPerSecond")).toBe("0.00");
    expect(await page.getAttribute('td[data-layer="l1"][data-field="state"]', "class")).toContain("up");
    expect(await page.$$('td[data-field="sparklines"] svg')).toHaveLength(6);
    expect(JSON.parse((await page.textContent('[data-plugin="labelled"] pre'))!)).toEqual({ label: "<b>bold</b>", seen: 3 });
    expect(await page.$$("b")).toHaveLength(0);
    expect(await page.isVisible("#warning")).toBe(true);
    expect(await page.textContent("#warning")).toContain("below 90.0 %");
    await page.close();
  }, 30_000);

  test("with Redis killed, the page shows the tier degraded and its breaker open within two refreshes", async () => {
    redisServer = await startRedis({ private: true });
    const server = await startServer({
      config: {
        layers: [{ use: "memory" }, fastFailingRedis(redisServer.url, join(dir, "fallback"))],
        plugins: [{ use: "metrics" }],
      },
      port: 0,
    });
    servers.push(server);
    const page = await open(server);
    const cell = cellOf(page);
    await page.waitForFunction(() => document.querySelector('td[data-layer="redis"][data-field="state"]')?.textContent === "up", {
      timeout: 10_000,
    });
    expect(await cell("redis", "breaker")).toBe("closed");
    expect(await cell("redis", "open")).toBe("2 / 2");

    await redisServer.kill();
    const killedAt = Date.now();
    await page.waitForFunction(
      () => document.querySelector('td[data-layer="redis"][data-field="state"]')?.textContent === "degraded",
      { timeout: 2 * EVERY_MS + 1_000 },
    );
    // Two refreshes, plus the time one /health call may take on a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(2 * EVERY_MS + 1_000);
    expect(await page.textContent("#state")).toBe("degraded");
    expect(await page.getAttribute('td[data-layer="redis"][data-field="state"]', "class")).toContain("degraded");
    await page.waitForFunction(
      () => document.querySelector('td[data-layer="redis"][data-field="breaker"]')?.textContent === "open",
    );
    await page.close();
  }, 30_000);

  test("with a token the page asks for it, then starts warming with it; query text stays text; the docs page uses the token too", async () => {
    const hostile = '<img src=x onerror="window.__pwned = 1">';
    const loaderServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("nope", { status: 503 }) });
    const server = await startServer({
      config: {
        layers: [{ use: "memory" }],
        plugins: [
          { use: "metrics" },
          {
            use: "warming",
            schedule: false,
            warmList: [{ query: hostile, namespace: "answer" }],
            loaders: { answer: { url: `http://127.0.0.1:${loaderServer.port}/` } },
          },
        ],
      },
      port: 0,
      token: "s3cret",
    });
    servers.push(server);
    try {
      const page = await open(server);
      await page.waitForSelector("#login:not([hidden])");
      expect(await page.content()).not.toContain("s3cret");
      await page.fill("#token", "s3cret");
      await page.click("#login button");
      await page.waitForSelector('[data-job="warm"] [data-action="start"]');
      expect(await page.textContent('[data-job="warm"] [data-field="state"]')).toBe("never run");
      await page.click('[data-job="warm"] [data-action="start"]');
      await page.waitForFunction(
        () => document.querySelector('[data-job="warm"] [data-field="state"]')?.textContent === "finished",
        { timeout: 10_000 },
      );
      expect(await page.textContent('[data-job="warm"] [data-field="progress"]')).toBe("1 / 1, 1 failed");
      expect(await page.textContent('[data-job="warm"] [data-field="failures"] li')).toStartWith(`${hostile}: `);
      expect(await page.$$("img")).toHaveLength(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

      await page.goto(`${server.url}/docs`);
      await page.waitForSelector('section[data-path="/v1/lookup"][data-method="post"]');
      expect(await page.$$("section.operation")).toHaveLength(13);
      expect(await page.textContent('section[data-path="/v1/lookup"] [data-status="200"]')).toContain("A hit with its value");
      await page.close();
    } finally {
      loaderServer.stop(true);
    }
  }, 30_000);
});
