// Pins src/entry.ts (maxTtl), src/key.ts (params depth, reserved namespace), src/chain/cache.ts (a loader's undefined),
// src/server/app.ts (400s).
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

async function codeOf(work: () => unknown): Promise<string | undefined> {
  try {
    await work();
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
    expect(await codeOf(() => cache.set("q", 1, { ttl: "366d" }))).toBe("E_INVALID_TTL");
    expect(await codeOf(() => cache.set("q", 1, { ttl: 1e308 }))).toBe("E_INVALID_TTL");
    expect(await codeOf(() => cache.set("q", 1, { ttl: "1h", grace: "400d" }))).toBe("E_INVALID_TTL");
    expect(await codeOf(() => cache.getOrSet("q", () => 1, { ttl: Infinity }))).toBe("E_INVALID_TTL");
    expect(await codeOf(() => cache.set("q", 1, { ttl: "365d" }))).toBeUndefined();
  });

  test("maxTtl raises or lowers the bound; Infinity lets entries without expiry through", async () => {
    expect(await codeOf(() => createCache({ layers: [memory()], maxTtl: "500d" }).set("q", 1, { ttl: "400d" }))).toBeUndefined();
    expect(await codeOf(() => createCache({ layers: [memory()], maxTtl: "1h" }).set("q", 1, { ttl: "2h" }))).toBe(
      "E_INVALID_TTL",
    );
    const unbounded = createCache({ layers: [memory()], maxTtl: Infinity });
    expect(await codeOf(() => unbounded.set("q", 1, { ttl: Infinity }))).toBeUndefined();
    expect(await codeOf(() => unbounded.set("q", 1, { ttl: 1e308 }))).toBe("E_INVALID_TTL");
  });

  test("a default ttl or grace past maxTtl, or an unusable maxTtl, fails at construction", () => {
    expect(() => createCache({ layers: [memory()], defaultTtl: "2d", maxTtl: "1d" })).toThrow(/defaultTtl 2d is above maxTtl/);
    expect(() => createCache({ layers: [memory()], defaultGrace: "2d", maxTtl: "1d" })).toThrow(/defaultGrace/);
    expect(() => createCache({ layers: [memory()], maxTtl: 0 })).toThrow(/maxTtl must be longer than 0/);
  });

  test("RAG_MAX_TTL sets maxTtl from the environment", async () => {
    const options = await loadConfig({ layers: [{ use: "memory" }] }, { env: { RAG_MAX_TTL: '"2h"' } });
    const cache = createCache(options);
    expect(await codeOf(() => cache.set("q", 1, { ttl: "3h" }))).toBe("E_INVALID_TTL");
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

describe("params nested 100 000 levels deep", () => {
  const deepArray = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
  const deepObject = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;

  test("are E_INVALID_KEY in the library, past a depth of 64", async () => {
    const cache = createCache({ layers: [memory()] });
    const params = { x: JSON.parse(deepObject) };
    expect(await codeOf(() => cache.set("q", 1, { params }))).toBe("E_INVALID_KEY");
    expect(await codeOf(() => cache.get("q", { params }))).toBe("E_INVALID_KEY");
    expect(await codeOf(() => cache.delete("q", { params }))).toBe("E_INVALID_KEY");
    let nested: unknown = 1;
    for (let i = 0; i < 63; i++) nested = [nested];
    expect(await codeOf(() => cache.set("q", 1, { params: { x: nested } }))).toBeUndefined();
    expect(await codeOf(() => cache.set("q", 1, { params: { x: [nested] } }))).toBe("E_INVALID_KEY");
  });

  test("are a 400 naming the limit on PUT, GET, lookup and invalidate; a deep value is a 400 too", async () => {
    const cache = createCache({ layers: [memory()] });
    const app = createServerApp({ cache });
    const send = async (method: string, path: string, body?: string) => {
      const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
      const response = await app.request(path, { method, headers, body });
      return { status: response.status, body: (await response.json()) as { error: string; code?: string } };
    };
    try {
      const answers = [
        await send("PUT", "/v1/cache/a/q", `{"value":1,"params":{"x":${deepArray}}}`),
        await send("GET", `/v1/cache/a/q?params=${encodeURIComponent(`{"x":${deepObject}}`)}`),
        await send("POST", "/v1/lookup", `{"query":"q","params":{"x":${deepObject}}}`),
        await send("POST", "/v1/invalidate", `{"keys":[{"key":"q","params":{"x":${deepArray}}}]}`),
        await send("DELETE", `/v1/cache/a/q?params=${encodeURIComponent(`{"x":${deepArray}}`)}`),
      ];
      for (const answer of answers)
        expect(answer).toEqual({ status: 400, body: expect.objectContaining({ code: "E_INVALID_KEY" }) });
      expect(answers[0]!.body.error).toContain("nested more than 64 levels");
      const deepValue = await send("PUT", "/v1/cache/a/q", `{"value":${deepObject}}`);
      expect(deepValue).toEqual({ status: 400, body: expect.objectContaining({ code: "E_NOT_SERIALIZABLE" }) });
      expect(deepValue.body.error).toContain("nested too deeply");
    } finally {
      app.close();
      await cache.close();
    }
  });

  test("a deep JSON body through the Hono middleware is keyed by its bytes and served", async () => {
    const { Hono } = await import("hono");
    const { ragcache } = await import("ragcache/hono");
    const cache = createCache({ layers: [memory()] });
    const app = new Hono();
    let runs = 0;
    app.use("/rag/*", ragcache({ cache }));
    app.post("/rag/query", (c) => c.json({ run: ++runs }));
    try {
      const request = () =>
        app.request("/rag/query", { method: "POST", headers: { "content-type": "application/json" }, body: deepArray });
      expect((await request()).status).toBe(200);
      const again = await request();
      expect(again.headers.get("X-Cache")).toBe("HIT");
      expect(runs).toBe(1);
    } finally {
      await cache.close();
    }
  });
});

describe("the reserved namespace", () => {
  test("keys of the chain refuse it: the warming plugin's frequency table can be neither read nor replaced over HTTP", async () => {
    const cache = createCache({ layers: [memory()] });
    expect(await codeOf(() => cache.get("frequency table of warming", { namespace: "_ragcache" }))).toBe("E_INVALID_KEY");
    expect(await codeOf(() => cache.set("x", 1, { namespace: "_ragcache", params: { k: 1 } }))).toBe("E_INVALID_KEY");
    const app = createServerApp({ cache });
    const path = `/v1/cache/_ragcache/${encodeURIComponent("frequency table of warming")}`;
    const put = await app.request(path, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: { version: 1, counters: [] } }),
    });
    expect(put.status).toBe(400);
    expect((await app.request(path)).status).toBe(400);
    const lookup = await app.request("/v1/lookup", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "frequency table of warming", namespace: "_ragcache" }),
    });
    expect(lookup.status).toBe(400);
    await app.close();
    await cache.close();
  });
});
