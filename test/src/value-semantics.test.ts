// Pins src/entry.ts (stored JSON form, tags copied), src/value.ts (deepFreeze), src/chain/walk.ts and cache.ts (protected hits).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, type Cache, type CacheEntry, type CacheLayer } from "ragcache";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startRedis, type RedisServer } from "../support/redis-server.ts";

let server: RedisServer;
let root: string;
const caches: Cache[] = [];
beforeAll(async () => {
  server = await startRedis();
  root = mkdtempSync(join(tmpdir(), "ragcache-values-"));
});
afterAll(async () => {
  for (const cache of caches) await cache.close();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const quiet = () => {};
let prefixes = 0;

/** A chain of memory, Redis and files, and one chain per tier reading the same Redis prefix and folder. */
function tiers() {
  const prefix = `values-${++prefixes}:`;
  const dir = join(root, prefix);
  const chain = (layers: CacheLayer[]) => {
    const cache = createCache({ layers });
    caches.push(cache);
    return cache;
  };
  return {
    all: chain([memory(), redis({ url: server.url, prefix, log: quiet }), file({ dir })]),
    redisOnly: () => chain([redis({ url: server.url, prefix, log: quiet })]),
    fileOnly: () => chain([file({ dir })]),
    redisBehindMemory: () => chain([memory(), redis({ url: server.url, prefix, log: quiet })]),
  };
}

const mutations: [string, (value: { docs: number[]; meta: { source: string } }) => void][] = [
  ["a push", (value) => value.docs.push(99)],
  ["an assignment", (value) => void (value.meta.source = "changed")],
];

describe("the same value from every tier", () => {
  test("a Date, a Map and an undefined field read back alike from memory, Redis and files", async () => {
    const { all, redisOnly, fileOnly } = tiers();
    const when = new Date("2026-11-28T12:00:00.000Z");
    await all.set("q", { when, lookup: new Map([["a", 1]]), missing: undefined, docs: [1, 2] });
    const expected = { when: "2026-11-28T12:00:00.000Z", lookup: {}, docs: [1, 2] };
    const fromMemory = all.get("q");
    expect(fromMemory).toEqual(expected);
    expect(await redisOnly().get("q")).toEqual(expected);
    expect(await fileOnly().get("q")).toEqual(expected);
    expect(Object.keys(fromMemory as object)).toEqual(["when", "lookup", "docs"]);
  });

  test("getOrSet answers a miss with the stored form, the same as the hits after it", async () => {
    const { all } = tiers();
    const first = await all.getOrSet<unknown>("q", () => ({ when: new Date(0) }));
    expect(first).toEqual({ when: "1970-01-01T00:00:00.000Z" });
    expect(all.getOrSet<unknown>("q", () => ({ when: new Date(1) }))).toBe(first);
  });
});

describe("safe from the caller's mutations", () => {
  for (const [name, mutate] of mutations) {
    test(`${name} on the object passed to set changes nothing the cache serves`, async () => {
      const { all, redisOnly } = tiers();
      const value = { docs: [1, 2], meta: { source: "wiki" } };
      await all.set("q", value);
      mutate(value);
      expect(all.get("q")).toEqual({ docs: [1, 2], meta: { source: "wiki" } });
      expect(await redisOnly().get("q")).toEqual({ docs: [1, 2], meta: { source: "wiki" } });
    });

    test(`${name} on a value served from memory, from Redis or by getOrSet throws and changes nothing`, async () => {
      const { all, redisBehindMemory } = tiers();
      const original = { docs: [1, 2], meta: { source: "wiki" } };
      const loaded = (await all.getOrSet("q", () => structuredClone(original))) as typeof original;
      expect(() => mutate(loaded)).toThrow(TypeError);
      const fromMemory = all.get("q") as typeof original;
      expect(() => mutate(fromMemory)).toThrow(TypeError);
      const reader = redisBehindMemory();
      const fromRedis = (await reader.get("q")) as typeof original;
      expect(() => mutate(fromRedis)).toThrow(TypeError);
      expect(reader.get("q")).toEqual(original);
      expect(all.get("q")).toEqual(original);
    });
  }

  test("a layer that copies the entry it is given (spread, structuredClone) stores the value as it was at set, frozen, though nothing read it yet", async () => {
    const copies: CacheEntry[] = [];
    const copying: CacheLayer = {
      name: "copying",
      get: () => undefined,
      set(_key, entry) {
        copies.push({ ...entry }, structuredClone(entry));
      },
      delete() {},
      clear() {},
      invalidateTags() {},
    };
    const cache = createCache({ layers: [copying] });
    caches.push(cache);
    const value = { docs: [1, 2], meta: { source: "wiki" } };
    await cache.set("q", value);
    value.docs.push(3);
    expect(copies.map((entry) => entry.value)).toEqual([
      { docs: [1, 2], meta: { source: "wiki" } },
      { docs: [1, 2], meta: { source: "wiki" } },
    ]);
    expect(Object.isFrozen(copies[0]!.value)).toBe(true);
  });

  test("emptying the tags array passed to set (to reuse it) does not let the entry escape its tag's invalidation", async () => {
    const { all, redisOnly } = tiers();
    const tags = ["doc:1"];
    await all.set("q", "v", { tags });
    tags.length = 0;
    await all.invalidateTags(["doc:1"]);
    expect(await all.get("q")).toBeUndefined();
    expect(await redisOnly().get("q")).toBeUndefined();
  });

  test("freezeValues: false keeps the caller's object in memory, shared and mutable (the documented opt-out)", async () => {
    const cache = createCache({ layers: [memory()], freezeValues: false });
    caches.push(cache);
    const value = { docs: [1], when: new Date(0) };
    await cache.set("q", value);
    expect(cache.get("q")).toBe(value);
    expect(Object.isFrozen(value)).toBe(false);
  });
});
