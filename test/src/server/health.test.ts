// Pins GET /health of src/server/admin-routes.ts and src/chain/health.ts, on a live Redis with a file fallback.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../../../src/server/start.ts";
import { fastFailingRedis } from "../../support/redis-config.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let redisServer: RedisServer | undefined;
let server: RunningServer | undefined;
let dir: string | undefined;
afterAll(async () => {
  await server?.stop();
  await redisServer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("server health", () => {
  test("GET /health follows a real Redis: up, degraded on its file fallback when Redis dies, and the data keeps flowing", async () => {
    redisServer = await startRedis({ private: true });
    dir = await mkdtemp(join(tmpdir(), "ragcache-health-"));
    const config = {
      layers: [{ use: "memory" }, fastFailingRedis(redisServer.url, dir)],
      layerTimeout: "1s",
    };
    server = await startServer({ config, port: 0 });
    const health = async () => {
      const response = await fetch(`${server!.url}/health`);
      return { status: response.status, body: await response.json() };
    };
    // The pool connects in the background: right after start Redis may still be connecting.
    let up = await health();
    for (let i = 0; i < 50 && up.body.state !== "up"; i++) up = await Bun.sleep(100).then(health);
    expect(up.status).toBe(200);
    expect(up.body.layers.map((l: { name: string; state: string }) => `${l.name}:${l.state}`)).toEqual(["memory:up", "redis:up"]);

    await redisServer.kill();
    const degraded = await health();
    expect(degraded.status).toBe(200);
    expect(degraded.body.state).toBe("degraded");
    expect(degraded.body.layers[1]).toMatchObject({ name: "redis", state: "degraded" });
    expect(degraded.body.layers[1].detail).toContain('serving from "file"');

    const put = await fetch(`${server.url}/v1/cache/ns/k`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"value":"kept"}',
    });
    expect(put.status).toBe(200);
    expect(await (await fetch(`${server.url}/v1/cache/ns/k`)).json()).toMatchObject({ value: "kept" });
  }, 20_000);
});
