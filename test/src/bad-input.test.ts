// Pins src/entry.ts (maxTtl), src/key.ts (params depth), src/chain/cache.ts (a loader's undefined), src/server/app.ts (400s).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, isRagCacheError, loadConfig } from "ragcache";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { createServerApp } from "../../src/server/app.ts";
import { startRedis, type RedisServer } from "../support/redis-server.ts";

let server: RedisServer;
let dir: string;
beforeAll(async () => {
  server = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "ragcache-bad-input-"));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const quiet = () => {};

async function codeOf(work: unknown): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    return isRagCacheError(error) ? error.code : `not a RagCacheError: ${error}`;
  }
  return undefined;
}

function redisChain(prefix: string) {
  const l2 = redis({ url: server.url, prefix, log: quiet, fallback: file({ dir: join(dir, prefix) }) });
  const cache = createCache({ layers: [memory(), l2] });
  return { cache, l2 };
}

describe("ttl and grace past maxTtl", () => {
  test("set and getOrSet refuse a ttl or grace above the default maximum of 365 days", async () => {
    const cache = createCache({ layers: [memory()] });
    expect(await codeOf(cache.set("q", 1, { ttl: "366d" }))).toBe("E_INVALID_TTL");
    expect(await codeOf(cache.set("q", 1, { ttl: 1e308 }))).toBe("E_INVALID_TTL");
    expect(await codeOf(cache.set("q", 1, { ttl: "1h", grace: "400d" }))).toBe("E_INVALID_TTL");
    expect(await codeOf(cache.getOrSet("q", () => 1, { ttl: Infinity }))).toBe("E_INVALID_TTL");
    expect(await codeOf(cache.set("q", 1, { ttl: "365d" }))).toBeUndefined();
  });

  test("maxTtl raises or lowers the bound; Infinity lets entries without expiry through", async () => {
    expect(await codeOf(createCache({ layers: [memory()], maxTtl: "500d" }).set("q", 1, { ttl: "400d" }))).toBeUndefined();
    expect(await codeOf(createCache({ layers: [memory()], maxTtl: "1h" }).set("q", 1, { ttl: "2h" }))).toBe("E_INVALID_TTL");
    const unbounded = createCache({ layers: [memory()], maxTtl: Infinity });
    expect(await codeOf(unbounded.set("q", 1, { ttl: Infinity }))).toBeUndefined();
    expect(await codeOf(unbounded.set("q", 1, { ttl: 1e308 }))).toBe("E_INVALID_TTL");
  });

  test("a default ttl or grace past maxTtl, or an unusable maxTtl, fails at construction", () => {
    expect(() => createCache({ layers: [memory()], defaultTtl: "2d", maxTtl: "1d" })).toThrow(/defaultTtl 2d is above maxTtl/);
    expect(() => createCache({ layers: [memory()], defaultGrace: "2d", maxTtl: "1d" })).toThrow(/defaultGrace/);
    expect(() => createCache({ layers: [memory()], maxTtl: 0 })).toThrow(/maxTtl must be longer than 0/);
  });

  test("RAG_MAX_TTL sets maxTtl from the environment", async () => {
    const options = await loadConfig({ layers: [{ use: "memory" }] }, { env: { RAG_MAX_TTL: '"2h"' } });
    const cache = createCache(options);
    expect(await codeOf(cache.set("q", 1, { ttl: "3h" }))).toBe("E_INVALID_TTL");
  });

  test("PUT with a ttl of 1e308 is a 400 that never reaches Redis; the Redis tier stays up", async () => {
    const { cache, l2 } = redisChain("ttl-put:");
    const app = createServerApp({ cache });
    try {
      const put = (body: unknown) =>
        app.request("/v1/cache/answers/q", {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const refused = await put({ value: 1, ttl: 1e308 });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ code: "E_INVALID_TTL" });
      expect((await put({ value: 1, grace: "400d" })).status).toBe(400);
      expect((await put({ value: 2, ttl: "1h" })).status).toBe(200);
      expect(l2.stats().state).toBe("up");
      expect((await l2.get(cache.key("q", { namespace: "answers" })))?.value).toBe(2);
    } finally {
      app.close();
      await cache.close();
    }
  });
});

describe("a loader that returns undefined", () => {
  test("every waiter gets undefined and nothing is stored", async () => {
    const { cache, l2 } = redisChain("undefined-loader:");
    try {
      let runs = 0;
      const loader = async () => {
        runs++;
        await Bun.sleep(5);
        return undefined;
      };
      const answers = await Promise.all([cache.getOrSet("q", loader), cache.getOrSet("q", loader)]);
      expect(answers).toEqual([undefined, undefined]);
      expect(runs).toBe(1);
      expect(await l2.get(cache.key("q"))).toBeUndefined();
      expect(await cache.getOrSet("q", () => "now")).toBe("now");
    } finally {
      await cache.close();
    }
  });
});
