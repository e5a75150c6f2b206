// Pins src/server/main.ts and start.ts as a process: start, config errors, SIGTERM shutdown.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { DOCUMENTED_ENV } from "../../support/documented-env.ts";
import { startRedis } from "../../support/redis-server.ts";

const dir = await mkdtemp(join(tmpdir(), "ragcache-server-"));
const children: Subprocess[] = [];
/** Grandchildren (the server under `bun run`) to kill in case a test fails before they stop by themselves. */
const grandchildren: number[] = [];
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  for (const pid of grandchildren) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone, as it should be
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** The JSON line the server logs once it listens. */
const LISTENING = /"kind":"listening","url":"(http:\/\/[^"]+)"/;

/** `bun run serve` as a real process on a free port; resolves once it says where it listens. No config: the default chain. */
async function serve(config: unknown, env: Record<string, string> = {}) {
  const path = join(dir, `config-${children.length}.json`);
  if (config !== undefined) await writeFile(path, JSON.stringify(config));
  const child = Bun.spawn(
    ["bun", "run", "src/server/main.ts", ...(config === undefined ? [] : ["--config", path]), "--port", "0"],
    {
      cwd: join(import.meta.dir, "../../.."),
      env: { ...process.env, ...env },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  children.push(child);
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let output = "";
  const deadline = Date.now() + 15_000;
  while (!LISTENING.test(output)) {
    const { done, value } = await reader.read();
    if (done || Date.now() > deadline)
      throw new Error(`the server did not start: ${output}${await new Response(child.stderr as ReadableStream).text()}`);
    output += new TextDecoder().decode(value);
  }
  const rest = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return output;
      output += new TextDecoder().decode(value);
    }
  })();
  return { child, url: LISTENING.exec(output)![1]!, output: () => rest };
}

describe("server process", () => {
  test("SIGTERM finishes the in-flight request, refuses new ones, closes the layers and exits 0", async () => {
    const closedFile = join(dir, "closed");
    const layer = join(import.meta.dir, "fixtures/slow-layer.ts");
    const { child, url, output } = await serve({ layers: [{ use: layer, delayMs: 600, closedFile }], layerTimeout: "5s" });
    const inflight = fetch(`${url}/v1/cache/ns/slow`);
    await Bun.sleep(150);
    child.kill("SIGTERM");
    const response = await inflight;
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not found" });
    expect(await child.exited).toBe(0);
    expect(await output()).toContain('"kind":"stopped"');
    expect(existsSync(closedFile)).toBe(true);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  test("the metrics plugin named in config serves Prometheus text, the token guards writes, RAG_PUBLIC_METRICS opens /metrics", async () => {
    const { child, url } = await serve(
      { layers: [{ use: "memory" }], plugins: [{ use: "metrics" }] },
      { RAG_API_TOKEN: "t0ken", RAG_PUBLIC_METRICS: "true" },
    );
    const put = (auth?: string) =>
      fetch(`${url}/v1/cache/ns/k`, {
        method: "PUT",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body: '{"value":1}',
      });
    expect((await put()).status).toBe(401);
    expect((await put("Bearer t0ken")).status).toBe(200);
    expect((await fetch(`${url}/v1/cache/ns/k`)).status).toBe(401);
    expect((await fetch(`${url}/v1/cache/ns/k`, { headers: { authorization: "Bearer t0ken" } })).status).toBe(200);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(await metrics.text()).toContain("# TYPE");
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });

  test("without a config it serves memory + file layers with metrics, nothing external needed", async () => {
    const { child, url } = await serve(undefined, { RAG_FILE_DIR: join(dir, "files") });
    const put = await fetch(`${url}/v1/cache/answer/q`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"value":"a"}',
    });
    expect(put.status).toBe(200);
    const health = await (await fetch(`${url}/health`)).json();
    expect(health.layers.map((layer: { name: string; state: string }) => `${layer.name}:${layer.state}`)).toEqual([
      "memory:up",
      "file:up",
    ]);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect(await (await fetch(`${url}/v1/cache/answer/q`)).json()).toMatchObject({ value: "a", layer: "memory" });
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });

  test("an invalid config stops the start with every problem listed", async () => {
    await expect(serve({ layers: [{ use: "memory", max: -1 }], defaultTtl: "soon" })).rejects.toThrow(
      /E_CONFIG_INVALID|invalid config[\s\S]*layers\.0\.max[\s\S]*defaultTtl|defaultTtl[\s\S]*layers\.0\.max/,
    );
  });

  test("the documented env block plus RAG_REDIS_URL works verbatim without a config file", async () => {
    const redisServer = await startRedis();
    try {
      const { child, url } = await serve(undefined, {
        ...DOCUMENTED_ENV,
        RAG_REDIS_URL: redisServer.url,
        RAG_FILE_DIR: join(dir, "env-block"),
      });
      const health = await (await fetch(`${url}/health`)).json();
      expect(health.layers.map((layer: { name: string; state: string }) => `${layer.name}:${layer.state}`)).toEqual([
        "memory:up",
        "redis:up",
      ]);
      expect(health.layers[1].open).toBe(50);
      expect(await (await fetch(`${url}/v1/warm`)).json()).toMatchObject({ topN: 100, schedule: "0 2 * * *" });
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      expect(await new Response(child.stderr as ReadableStream).text()).not.toContain("RAG_");
    } finally {
      await redisServer.stop();
    }
  }, 30_000);

  test("RAG_HOST empty or invalid stops the start with the reason", async () => {
    for (const host of ["", "no such host!"]) {
      await expect(serve(undefined, { RAG_HOST: host })).rejects.toThrow(/is not a host name or IP address/);
    }
  });

  test("killing the pid of `bun run serve` outright leaves no server behind on its port", async () => {
    const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = probe.port!;
    probe.stop(true);
    const parent = Bun.spawn(["bun", "run", "serve", "--port", String(port)], {
      cwd: join(import.meta.dir, "../../.."),
      env: { ...process.env, RAG_FILE_DIR: join(dir, "orphan-files") },
      stdout: "ignore",
      stderr: "ignore",
    });
    children.push(parent);
    const answers = () =>
      fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.ok,
        () => false,
      );
    for (let i = 0; i < 150 && !(await answers()); i++) await Bun.sleep(100);
    expect(await answers()).toBe(true);
    grandchildren.push(
      ...Bun.spawnSync(["pgrep", "-P", String(parent.pid)])
        .stdout.toString()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
    expect(grandchildren.length).toBeGreaterThan(0);
    parent.kill("SIGKILL");
    await parent.exited;
    for (let i = 0; i < 50 && (await answers()); i++) await Bun.sleep(100);
    expect(await answers()).toBe(false);
    const again = Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response() });
    again.stop(true);
  }, 30_000);
});
