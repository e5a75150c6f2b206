// Pins every plugin's options schema (plugins/*/index.ts, plugins/redis/options.ts) and src/config/plugin-options.ts.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, isRagCacheError, loadConfig, type RagCacheError } from "ragcache";
import { chroma } from "ragcache/chroma";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { redis } from "ragcache/redis";
import { warming } from "ragcache/warming";
import { startRedis } from "../support/redis-server.ts";

function thrown(build: () => unknown): RagCacheError {
  try {
    build();
  } catch (error) {
    if (isRagCacheError(error, "E_CONFIG_INVALID")) return error;
    throw error;
  }
  throw new Error("expected E_CONFIG_INVALID, nothing was thrown");
}

async function configIssues(ref: Record<string, unknown>, where: "layers" | "plugins"): Promise<string[]> {
  const config = where === "layers" ? { layers: [ref] } : { layers: [{ use: "memory" }], plugins: [ref] };
  const error = await loadConfig(config as never, { env: {} }).then(
    () => undefined,
    (e: RagCacheError) => e,
  );
  if (!isRagCacheError(error, "E_CONFIG_INVALID")) throw new Error(`expected E_CONFIG_INVALID, got ${error}`);
  return (error.details as { message: string }[]).map((issue) => issue.message);
}

/** Options that are invalid, per plugin: from code and from JSON they fail with the same messages. */
const invalid: [string, "layers" | "plugins", (options: never) => unknown, Record<string, unknown>][] = [
  ["memory", "layers", memory, { max: 0 }],
  ["memory", "layers", memory, { maxBytes: -1, mistake: true }],
  ["file", "layers", file, { dir: "" }],
  ["redis", "layers", redis, { maxConnections: 0 }],
  ["redis", "layers", redis, { commandTimeout: 0 }],
  ["redis", "layers", redis, { url: "http://x", failureThreshold: 50 }],
  ["redis", "layers", redis, { url: "redis://a", cluster: { nodes: [{ host: "b", port: 1 }] } }],
  ["chroma", "layers", chroma, { threshold: 2 }],
  ["metrics", "plugins", metrics, { hitRateThreshold: 1.5 }],
  ["metrics", "plugins", metrics, { window: 0 }],
  ["warming", "plugins", warming, { hour: 24 }],
  ["warming", "plugins", warming, { persistEvery: "0s", loaders: { docs: { url: "ftp://x" } } }],
];

describe("plugin options", () => {
  for (const [use, where, factory, options] of invalid) {
    test(`${use}(${JSON.stringify(options)}) fails in code as loadConfig does, with the same messages`, async () => {
      const fromCode = thrown(() => factory(options as never));
      const fromJson = await configIssues({ use, ...options }, where);
      expect(fromJson.length).toBeGreaterThan(0);
      for (const message of fromJson) expect(fromCode.message).toContain(message);
      expect(fromCode.message).toStartWith(`${use}: invalid options: `);
    });
  }

  test("redis({ maxConnections: 0 }) and redis({ commandTimeout: 0 }) say which option and why", () => {
    expect(thrown(() => redis({ maxConnections: 0 })).message).toBe(
      "redis: invalid options: maxConnections: Too small: expected number to be >=1",
    );
    expect(thrown(() => redis({ commandTimeout: 0 })).message).toBe(
      "redis: invalid options: commandTimeout: expected a duration longer than 0",
    );
  });

  test("options only code can give are accepted from code: a fallback layer, a log function, a loader function", async () => {
    const server = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), "ragcache-options-"));
    const lines: string[] = [];
    const l2 = redis({ url: server.url, prefix: "options:", fallback: file({ dir }), log: (line) => lines.push(line) });
    const cache = createCache({
      layers: [memory(), l2],
      plugins: [metrics({ log: (line) => lines.push(line) }), warming({ schedule: false, loaders: { docs: (q) => q } })],
    });
    try {
      await cache.ready;
      await cache.set("q", 1);
      expect(await l2.get(cache.key("q"))).toMatchObject({ value: 1 });
      expect(l2.stats().fallback).toMatchObject({ dir });
    } finally {
      await cache.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a fallback that is not a layer, or a log that is not a function, is refused from code", () => {
    expect(thrown(() => redis({ fallback: { use: "file" } as never })).message).toContain(
      "fallback: expected a layer (an object with name, get and set), e.g. file()",
    );
    expect(thrown(() => metrics({ log: "console" as never })).message).toContain("log: expected a function");
  });

  test("an error names the layer by its own name when it has one", () => {
    expect(thrown(() => memory({ name: "l1", max: 0 })).message).toStartWith("l1: invalid options: max:");
  });
});
