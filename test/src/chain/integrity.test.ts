// Pins src/chain/walk.ts (the digest check), the codecs of plugins/redis, plugins/file and plugins/chroma, src/key.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createCache,
  createKey,
  isRagCacheError,
  keyFromId,
  sha256Hex,
  type CacheEvents,
  type CacheKey,
  type CacheLayer,
} from "ragcache";
import { chroma } from "ragcache/chroma";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { testEntry } from "ragcache/testing";
import { createServerApp } from "../../../src/server/app.ts";
import { startChroma, type ChromaServer } from "../../support/chroma-server.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const quiet = () => {};
let server: RedisServer;
let chromaServer: ChromaServer;
const root = mkdtempSync(join(tmpdir(), "ragcache-integrity-"));
beforeAll(async () => {
  [server, chromaServer] = await Promise.all([startRedis(), startChroma()]);
});
afterAll(async () => {
  await Promise.all([server.stop(), chromaServer.stop()]);
  rmSync(root, { recursive: true, force: true });
});

const A = createKey("what is the refund policy?", { namespace: "answers" });
const B = createKey("how do i delete my account?", { namespace: "answers" });

/** A chain over the layers, with the E_INTEGRITY errors it reports. */
function chainOver(...layers: CacheLayer[]) {
  const cache = createCache({ layers });
  const integrity: CacheEvents["error"][] = [];
  cache.on("error", (event) => {
    if (isRagCacheError(event.error, "E_INTEGRITY")) integrity.push(event);
  });
  return { cache, integrity };
}

describe("an entry answers only the key it was stored for", () => {
  test("memory: an entry set under B that carries A's digest is a miss and an E_INTEGRITY error", async () => {
    const layer = memory();
    const { cache, integrity } = chainOver(layer);
    layer.set(B, testEntry(A, "refunds within 30 days"));
    expect(cache.get(B)).toBeUndefined();
    expect(integrity).toMatchObject([{ layer: "memory", operation: "get", key: B }]);
    layer.set(A, testEntry(A, "refunds within 30 days"));
    expect(cache.get(A)).toBe("refunds within 30 days");
    await cache.close();
  });

  test("redis: A's stored bytes copied under B's key are a miss; A still hits", async () => {
    const { cache, integrity } = chainOver(redis({ url: server.url, prefix: "swap:", log: quiet }));
    const raw = new Redis(server.url);
    try {
      await cache.set(A, "refunds within 30 days");
      await raw.set(`swap:${B.id}`, (await raw.get(`swap:${A.id}`))!);
      expect(await cache.get(B)).toBeUndefined();
      expect(integrity).toMatchObject([{ layer: "redis", key: B }]);
      expect(await cache.get(A)).toBe("refunds within 30 days");
    } finally {
      raw.disconnect();
      await cache.close();
    }
  });

  test("redis: an entry of the previous format (no digest) is a miss", async () => {
    const { cache } = chainOver(redis({ url: server.url, prefix: "old:", log: quiet }));
    const raw = new Redis(server.url);
    try {
      await raw.set(`old:${A.id}`, JSON.stringify([2, "refunds within 30 days", null, Date.now(), Date.now() * 1000]));
      expect(await cache.get(A)).toBeUndefined();
    } finally {
      raw.disconnect();
      await cache.close();
    }
  });

  test("file: A's file copied under B's name, even with B's id written in, is a miss", async () => {
    const dir = join(root, "swap");
    const writer = chainOver(file({ dir }));
    await writer.cache.set(A, "refunds within 30 days");
    await writer.cache.close();
    const [folder] = readdirSync(dir);
    const [fileOfA] = readdirSync(join(dir, folder!));
    const bytesOfA = readFileSync(join(dir, folder!, fileOfA!), "utf8");
    const forB = bytesOfA.replace(A.id, B.id);
    expect(forB).not.toBe(bytesOfA);
    for (const name of readdirSync(join(dir, folder!))) rmSync(join(dir, folder!, name));
    writeFileSync(join(dir, folder!, fileOfA!.replace(/^[0-9a-f]+/, fileNameOf(B))), forB);

    const { cache, integrity } = chainOver(file({ dir }));
    expect(await cache.get(B)).toBeUndefined();
    expect(integrity).toMatchObject([{ layer: "file", key: B }]);
    await cache.close();
  });

  test("chroma: a record under B's id and text holding A's entry is skipped with E_INTEGRITY", async () => {
    const layer = chroma({ url: chromaServer.url, collection: `integrity-${process.pid}`, timeout: "5s" });
    const { cache, integrity } = chainOver(layer);
    await layer.set(B, testEntry(A, "refunds within 30 days"));
    await layer.flush();
    expect(await cache.get(B)).toBeUndefined();
    expect(integrity[0]).toMatchObject({ layer: "chroma", key: B });
    await cache.close();
  }, 30_000);
});

describe("an entry written by an older version (no digest) is a miss in every tier", () => {
  /** A's entry as a version without digests and write stamps stored it. */
  const withoutDigest = () => ({ ...testEntry(A, "refunds within 30 days"), digest: undefined, stamp: undefined }) as never;

  test("memory", async () => {
    const layer = memory();
    const { cache, integrity } = chainOver(layer);
    layer.set(A, withoutDigest());
    expect(cache.get(A)).toBeUndefined();
    expect(integrity).toMatchObject([{ layer: "memory", key: A }]);
    await cache.close();
  });

  test("file: a file of the previous format and one without digest", async () => {
    const dir = join(root, "old-format");
    const layer = file({ dir });
    const { cache } = chainOver(layer);
    await layer.set(A, withoutDigest());
    expect(await cache.get(A)).toBeUndefined();
    const folder = join(dir, sha256Hex(A.namespace).slice(0, 16));
    const now = Date.now();
    const previous = { v: 2, id: A.id, entry: { value: "refunds within 30 days", createdAt: now, expiresAt: now + 60_000 } };
    writeFileSync(join(folder, `${fileNameOf(A)}.json`), JSON.stringify(previous));
    expect(await cache.get(A)).toBeUndefined();
    await cache.close();
  });

  test("chroma", async () => {
    const layer = chroma({ url: chromaServer.url, collection: `old-format-${process.pid}`, timeout: "5s" });
    const { cache } = chainOver(layer);
    await layer.set(A, withoutDigest());
    await layer.flush();
    expect(await cache.get(A)).toBeUndefined();
    await cache.close();
  }, 30_000);
});

describe("a key without a digest (keyFromId)", () => {
  test("reads nothing, even an entry stored with an empty digest, and cannot be stored under", async () => {
    const layer = memory();
    const { cache } = chainOver(layer);
    const byId = keyFromId(A.id);
    layer.set(byId, testEntry(byId, "stored under the bare id"));
    expect(cache.get(byId)).toBeUndefined();
    expect(cache.lookup(byId)).toBeUndefined();
    expect(cache.set(byId, "v")).rejects.toMatchObject({ code: "E_INVALID_KEY" });
    expect(cache.getOrSet(byId, () => "v")).rejects.toMatchObject({ code: "E_INVALID_KEY" });
    await cache.close();
  });
});

describe("over HTTP", () => {
  test("with A's and B's stored bytes swapped in Redis, GET and POST /v1/lookup of B never return A's value", async () => {
    const l2 = () => redis({ url: server.url, prefix: "http:", log: quiet });
    const writer = createCache({ layers: [memory(), l2()] });
    const writerApp = createServerApp({ cache: writer });
    const put = (key: string, value: string) =>
      writerApp.request(`/v1/cache/answers/${encodeURIComponent(key)}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ value }),
      });
    expect((await put("What is the refund policy?", "refunds within 30 days")).status).toBe(200);
    expect((await put("How do I delete my account?", "settings, then delete")).status).toBe(200);
    const raw = new Redis(server.url);
    const [bytesOfA, bytesOfB] = await Promise.all([raw.get(`http:${A.id}`), raw.get(`http:${B.id}`)]);
    await raw.mset(`http:${A.id}`, bytesOfB!, `http:${B.id}`, bytesOfA!);
    raw.disconnect();

    const reader = createCache({ layers: [memory(), l2()] });
    const app = createServerApp({ cache: reader });
    const got = await app.request(`/v1/cache/answers/${encodeURIComponent("How do I delete my account?")}`);
    expect(got.status).toBe(404);
    const lookup = await app.request("/v1/lookup", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "How do I delete my account?", namespace: "answers" }),
    });
    expect(await lookup.json()).toEqual({ hit: false });
    for (const close of [() => app.close(), () => reader.close(), () => writerApp.close(), () => writer.close()]) await close();
  });
});

/** The file layer's name for a key's file. */
function fileNameOf(key: CacheKey): string {
  return sha256Hex(key.id).slice(0, 32);
}
