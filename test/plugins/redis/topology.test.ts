// Pins plugins/redis/connect.ts (Cluster and Sentinel) through plugins/redis/index.ts, on live Redis servers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { layerConformance, testEntry } from "ragcache/testing";
import { lockKeyOf } from "../../../plugins/redis/lock.ts";
import { untilPeersMeet } from "../../support/redis-for-tests.ts";
import { startRedis, startSentinel, type RedisServer } from "../../support/redis-server.ts";

let master: RedisServer;
let sentinel: RedisServer;
let clusterNode: RedisServer;

beforeAll(async () => {
  [master, clusterNode] = await Promise.all([
    startRedis({ private: true }),
    startRedis({
      args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-announce-ip", "127.0.0.1"],
    }),
  ]);
  sentinel = await startSentinel(master);
  const admin = new Redis(clusterNode.url);
  await admin.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
  for (let i = 0; i < 200 && !String(await admin.call("CLUSTER", "INFO")).includes("cluster_state:ok"); i++) await Bun.sleep(25);
  admin.disconnect();
});
afterAll(async () => {
  await Promise.all([sentinel?.stop(), master?.stop(), clusterNode?.stop()]);
});

const cluster = () => ({ nodes: [{ host: clusterNode.host, port: clusterNode.port }] });
const viaSentinel = () => ({ sentinels: [{ host: sentinel.host, port: sentinel.port }], name: "mymaster" });

layerConformance("redis layer on a cluster", () => redis({ cluster: cluster(), prefix: "cluster:", log: () => {} }), {
  realTimeExpiryMs: 300,
});
layerConformance("redis layer through sentinel", () => redis({ sentinel: viaSentinel(), prefix: "sentinel:", log: () => {} }), {
  realTimeExpiryMs: 300,
});

describe("redis layer topologies", () => {
  test("moving from one Redis to a cluster or to Sentinel is a config change: the chain works the same", async () => {
    for (const where of [{ cluster: cluster() }, { sentinel: viaSentinel() }]) {
      const cache = createCache({ layers: [memory(), redis({ ...where, prefix: "move:", maxConnections: 2, log: () => {} })] });
      await cache.set("q", { docs: [1, 2] }, { tags: ["doc:1"] });
      expect(await cache.lookup("q")).toMatchObject({ layer: "memory" });
      const other = createCache({ layers: [redis({ ...where, prefix: "move:", log: () => {} })] });
      expect(await other.lookup("q")).toMatchObject({ value: { docs: [1, 2] }, layer: "redis" });
      await other.invalidateTags(["doc:1"]);
      expect(await other.get("q")).toBeUndefined();
      expect(cache.stats().layers[1]).toMatchObject({ connections: 2, open: 2 });
      await other.close();
      await cache.close();
    }
  });

  test("concurrent lookups of keys in many slots are each answered, on a cluster and through Sentinel", async () => {
    for (const where of [{ cluster: cluster() }, { sentinel: viaSentinel() }]) {
      const cache = createCache({ layers: [redis({ ...where, prefix: "many:", log: () => {} })] });
      const texts = Array.from({ length: 32 }, (_, i) => `question ${i}`);
      for (const text of texts) await cache.set(text, text);
      expect(await Promise.all([...texts, "never stored"].map((text) => cache.get(text)))).toEqual([...texts, undefined]);
      await cache.close();
    }
  });

  test("a back-fill write never replaces a newer entry, and keeps its tags, on a cluster and through Sentinel", async () => {
    for (const where of [{ cluster: cluster() }, { sentinel: viaSentinel() }]) {
      const cache = createCache({ layers: [redis({ ...where, prefix: "ifnewer:", log: () => {} })] });
      const layer = cache.layers[0]!;
      const key = cache.key("q");
      const [older, newer] = [testEntry(key, "older"), testEntry(key, "newer", { tags: ["doc:2"] })];
      await layer.set(key, newer, { ifNewer: true });
      await layer.set(key, older, { ifNewer: true });
      expect(await cache.get("q")).toBe("newer");
      await cache.invalidateTags(["doc:2"]);
      expect(await cache.get("q")).toBeUndefined();
      await cache.close();
    }
  });
});

describe("single flight on a cluster and through Sentinel", () => {
  test("two chains load a key once between them; in a cluster the lock shares the entry's slot", async () => {
    const admin = new Redis(clusterNode.url);
    for (const entryKey of ["flight:default:9f", "{rag}:default:9f"]) {
      const [slot, lockSlot] = await Promise.all(
        [entryKey, lockKeyOf(entryKey)].map((key) => admin.call("CLUSTER", "KEYSLOT", key)),
      );
      expect(lockSlot).toBe(slot);
    }
    admin.disconnect();
    for (const where of [{ cluster: cluster() }, { sentinel: viaSentinel() }]) {
      const chains = [0, 1].map(() =>
        createCache({ layers: [memory(), redis({ ...where, prefix: "{flight}:", log: () => {} })] }),
      );
      // Through Sentinel a chain that has not heard the other yet may count itself alone and take no
      // lock; a cluster counts no listeners, so its chains always lock.
      if ("sentinel" in where) await untilPeersMeet(chains);
      let runs = 0;
      const load = async () => {
        runs++;
        await Bun.sleep(100);
        return { docs: [runs] };
      };
      const [first, second] = await Promise.all(chains.map((chain) => chain.getOrSet("q", load, { tags: ["doc:1"] })));
      expect([first, second, runs]).toEqual([{ docs: [1] }, { docs: [1] }, 1]);
      // The holder's fenced write tagged the entry: invalidating the tag empties Redis too.
      await chains[0]!.invalidateTags(["doc:1"]);
      expect(await chains[0]!.get("q")).toBeUndefined();
      await Promise.all(chains.map((chain) => chain.close()));
    }
  });
});
