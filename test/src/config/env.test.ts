// Pins src/config/env.ts with known-env.ts, plugin-module.ts and the env parts of index.ts and schema.ts.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, loadConfig, toMs } from "ragcache";
import type { FileLayer } from "ragcache/file";
import { configSchema as redisSchema, envAliases as redisAliases, type RedisLayer } from "ragcache/redis";
import type { WarmingPlugin } from "ragcache/warming";
import { envValue, withEnv } from "../../../src/config/env.ts";
import { DOCUMENTED_ENV } from "../../support/documented-env.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const root = mkdtempSync(join(tmpdir(), "ragcache-env-"));
let redisServer: RedisServer | undefined;
afterAll(async () => {
  await redisServer?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("config from the environment", () => {
  test("the documented env block plus RAG_REDIS_URL and RAG_CHROMA_URL builds memory → redis (file fallback) → chroma, metrics and warming", async () => {
    redisServer = await startRedis();
    const warnings: string[] = [];
    const env = {
      ...DOCUMENTED_ENV,
      RAG_REDIS_URL: redisServer.url,
      RAG_CHROMA_URL: "http://127.0.0.1:9",
      RAG_FILE_DIR: join(root, "fallback"),
    };
    const options = await loadConfig(undefined, { env, warn: (line) => warnings.push(line) });
    expect(warnings).toEqual([]);
    expect(options.layers.map((layer) => layer.name)).toEqual(["memory", "redis", "chroma"]);
    expect(options.plugins!.map((plugin) => plugin.name)).toEqual(["metrics", "warming"]);
    const cache = createCache(options);
    await cache.ready;
    const redisLayer = options.layers[1] as RedisLayer;
    expect(redisLayer.stats().connections).toBe(50);
    const warming = options.plugins![1] as WarmingPlugin;
    expect(warming.status()).toMatchObject({ topN: 100, schedule: "0 2 * * *" });
    await cache.close();

    const applied = withEnv({ use: "redis" }, env, { shape: redisSchema.shape, aliases: redisAliases }).ref;
    expect(applied).toMatchObject({ url: redisServer.url, maxConnections: 50, healthCheckInterval: 30 });
    expect(toMs(applied.socketTimeout as string)).toBe(5_000);
  });

  test("RAG_ENABLE_*=false removes the plugin a config names; another value is a config error", async () => {
    const config = { layers: [{ use: "memory" }], plugins: [{ use: "metrics" }] };
    const off = await loadConfig(config, { env: { RAG_ENABLE_ENHANCED_METRICS: "false" } });
    expect(off.plugins).toEqual([]);
    await expect(loadConfig(config, { env: { RAG_ENABLE_CACHE_WARMING: "yes please" } })).rejects.toThrow(
      /RAG_ENABLE_CACHE_WARMING: expected true or false/,
    );
  });

  test("an unknown RAG_* variable is a warning naming the closest known one, never a failed start", async () => {
    const warnings: string[] = [];
    const env = { RAG_FILE_DIR: join(root, "files"), RAG_FILE_PATH: "/srv/app/data.csv", RAG_REDIS_PASWORD: "x", RAG_PORT: "1" };
    const options = await loadConfig(undefined, { env, warn: (line) => warnings.push(line), knownEnv: ["RAG_PORT"] });
    expect(options.layers.map((layer) => layer.name)).toEqual(["memory", "file"]);
    expect((options.layers[1] as FileLayer).dir).toBe(join(root, "files"));
    expect(warnings).toEqual([
      "RAG_FILE_PATH is not a ragcache setting and is ignored; did you mean RAG_FILE_NAME?",
      "RAG_REDIS_PASWORD is not a ragcache setting and is ignored; did you mean RAG_REDIS_PASSWORD?",
    ]);
  });

  test("values parse by the option's type: a numeric password or name stays a string, numbers and flags parse", async () => {
    expect(envValue("123456", redisSchema.shape.password)).toBe("123456");
    expect(envValue("50", redisSchema.shape.maxConnections)).toBe(50);
    expect(envValue("false", redisSchema.shape.invalidationBus)).toBe(false);
    expect(envValue("5s", redisSchema.shape.socketTimeout)).toBe("5s");
    const options = await loadConfig(
      { layers: [{ use: "memory" }] },
      { env: { RAG_MEMORY_NAME: "123456", RAG_MEMORY_MAX: "3" } },
    );
    expect(options.layers[0]!.name).toBe("123456");
  });

  test("relative paths in a config file resolve from the file's folder, whatever the working directory", async () => {
    const folder = join(root, "deploy");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "warm.json"), JSON.stringify([{ query: "what is rag?", namespace: "answer" }]));
    writeFileSync(
      join(folder, "ragcache.json"),
      JSON.stringify({
        layers: [{ use: "memory" }, { use: "file", dir: "./cache" }],
        plugins: [{ use: "warming", warmList: "./warm.json", schedule: false }],
      }),
    );
    const options = await loadConfig(join(folder, "ragcache.json"), { env: {} });
    expect((options.layers[1] as FileLayer).dir).toBe(join(folder, "cache"));
    const cache = createCache(options);
    await cache.ready;
    const plan = await (options.plugins![0] as WarmingPlugin).plan();
    expect(plan.map((item) => item.query)).toEqual(["what is rag?"]);
    await cache.close();
  });
});
