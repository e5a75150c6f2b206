import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { startServer, type RunningServer } from "../../../src/server/start.ts";

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

let browser: Browser | undefined;
let server: RunningServer | undefined;
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("server dashboard", () => {
  test("the page shows the per-layer hit rates and latencies that /stats reports", async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: run \`sh scripts/setup.sh test\` or \`apt-get install chromium\``);
    server = await startServer({
      config: {
        layers: [
          { use: "memory", name: "l1" },
          { use: "memory", name: "l2" },
        ],
        sampleEvery: 1,
      },
      port: 0,
    });
    const { cache } = server;
    for (let i = 0; i < 6; i++) await cache.set(`q${i}`, { i });
    await Promise.resolve(cache.layers[0]!.delete(cache.key("q5")));
    for (let i = 0; i < 8; i++) await cache.get(`q${i}`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('td[data-layer="l2"][data-field="p95"]');
    const stats = await (await fetch(`${server.url}/stats`)).json();
    const cell = (layer: string, field: string) => page.textContent(`td[data-layer="${layer}"][data-field="${field}"]`);
    const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;

    expect(await page.textContent("#hit-rate")).toBe(percent(stats.hitRate));
    expect(await page.textContent("#hits")).toBe(String(stats.hits));
    expect(await page.textContent("#misses")).toBe(String(stats.misses));
    expect(stats.layers.map((l: { name: string }) => l.name)).toEqual(["l1", "l2"]);
    for (const layer of stats.layers) {
      expect(await cell(layer.name, "hits")).toBe(String(layer.hits));
      expect(await cell(layer.name, "misses")).toBe(String(layer.misses));
      expect(await cell(layer.name, "hitRate")).toBe(percent(layer.hitRate));
      expect(await cell(layer.name, "p50")).toBe(layer.latencyMs.p50.toFixed(3));
      expect(await cell(layer.name, "p95")).toBe(layer.latencyMs.p95.toFixed(3));
    }
    expect(stats.layers[0]).toMatchObject({ hits: 5, misses: 3 });
    expect(stats.layers[1]).toMatchObject({ hits: 1, misses: 2 });
  }, 30_000);
});
