import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createCache, type CacheEvents } from "ragcache";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
const root = mkdtempSync(join(tmpdir(), "ragcache-degrade-"));
beforeAll(async () => {
  server = await startRedis({ private: true });
});
afterAll(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
  return Date.now() - started;
}

/** Redis killed for real, `body` run, Redis restarted (from its last snapshot) and the layer recovered. */
async function duringOutage(seen: ReturnType<typeof watch>, body: () => Promise<void>): Promise<void> {
  await server.kill();
  try {
    await body();
  } finally {
    await server.restart();
  }
  await until(() => seen.recovered.length > 0, 3_000, "recovery");
}

/** SAVE, so that the restarted server comes back with today's data, as a real Redis would after an outage. */
async function snapshot(): Promise<void> {
  const admin = new Redis(server.url);
  await admin.save();
  admin.disconnect();
}

function watch(cache: ReturnType<typeof createCache>) {
  const seen = {
    degraded: [] as CacheEvents["degraded"][],
    recovered: [] as CacheEvents["recovered"][],
    errors: [] as CacheEvents["error"][],
  };
  cache.on("degraded", (e) => seen.degraded.push(e));
  cache.on("recovered", (e) => seen.recovered.push(e));
  cache.on("error", (e) => seen.errors.push(e));
  return seen;
}

describe("redis layer degradation", () => {
  test("Redis killed mid-traffic: every call answers from the file fallback; restarted: recovery and no stale read", async () => {
    const logs: string[] = [];
    const prefix = "kill:";
    const layer = redis({
      url: server.url,
      prefix,
      probeInterval: 50,
      fallback: file({ dir: join(root, "kill") }),
      log: (line) => logs.push(line),
    });
    const cache = createCache({ layers: [layer] });
    const seen = watch(cache);
    await cache.set("changed while down", "old", { tags: ["doc:1"] });
    await cache.set("deleted while down", "old");
    await cache.set("tagged while down", "old", { tags: ["doc:2"] });
    await cache.set("untouched", "kept");
    await snapshot();

    let calls = 0;
    const failures: string[] = [];
    const lastWritten = new Map<string, number>();
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await cache.set(`traffic ${i % 50}`, i);
          lastWritten.set(`traffic ${i % 50}`, i);
          const value = await cache.getOrSet(`traffic ${i % 50}`, () => i);
          if (value !== i) failures.push(`getOrSet after set ${i} gave ${value}`);
          calls += 2;
        } catch (error) {
          failures.push(String(error));
        }
        await Bun.sleep(1);
      }
    })();
    await until(() => calls > 40, 5_000, "traffic");
    await server.kill();
    await until(() => seen.degraded.length > 0, 2_000, "degradation");
    const callsAtKill = calls;
    await until(() => calls > callsAtKill + 100, 5_000, "traffic while Redis is down");
    expect(layer.stats().state).toBe("degraded");
    expect((await cache.health()).state).toBe("degraded");

    await cache.set("changed while down", "new");
    await cache.delete("deleted while down");
    await cache.invalidateTags(["doc:2"]);
    await cache.set("written while down", "fresh");
    expect(await cache.get("changed while down")).toBe("new");
    expect(await cache.get("written while down")).toBe("fresh");

    await server.restart();
    const probe = new Redis(server.url);
    expect(await probe.get(`${prefix}${cache.key("deleted while down").id}`)).not.toBeNull();
    await until(() => seen.recovered.length > 0, 3_000, "recovery");
    stop = true;
    await traffic;

    expect(failures).toEqual([]);
    for (const [query, value] of lastWritten) expect(`${query} = ${await cache.get(query)}`).toBe(`${query} = ${value}`);
    expect(await cache.get("changed while down")).toBe("new");
    expect(await cache.get("deleted while down")).toBeUndefined();
    expect(await cache.get("tagged while down")).toBeUndefined();
    expect(await cache.get("written while down")).toBe("fresh");
    expect(await cache.get("untouched")).toBe("kept");
    expect(await probe.get(`${prefix}${cache.key("deleted while down").id}`)).toBeNull();
    expect(JSON.parse((await probe.get(`${prefix}${cache.key("changed while down").id}`))!)[3]).toBe("new");
    probe.disconnect();
    expect(layer.stats().state).toBe("up");
    expect(seen.degraded[0]!.reason).toMatch(/failed|connection lost/);
    expect(seen.recovered[0]!.downMs).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes("degraded"))).toHaveLength(1);
    expect(logs.filter((l) => l.includes("recovered"))).toHaveLength(1);
    await cache.close();
  }, 20_000);

  test("a hung Redis (timeouts, not refusals) opens the breaker by error rate; it closes once Redis answers", async () => {
    const layer = redis({
      url: server.url,
      prefix: "hung:",
      commandTimeout: 40,
      probeInterval: 50,
      fallback: file({ dir: join(root, "hung") }),
      log: () => {},
    });
    const cache = createCache({ layers: [memory(), layer] });
    const seen = watch(cache);
    await cache.set("q", "before");
    server.pause();
    try {
      for (let i = 0; i < 8; i++) expect(await cache.getOrSet(`slow ${i}`, () => `loaded ${i}`)).toBe(`loaded ${i}`);
      expect(seen.degraded).toHaveLength(1);
      expect(seen.degraded[0]!.reason).toContain("Command timed out");
      expect(await cache.get("q")).toBe("before");
    } finally {
      server.resume();
    }
    await until(() => seen.recovered.length > 0, 3_000, "recovery");
    expect(await cache.getOrSet("slow 3", () => "reloaded")).toBe("loaded 3");
    await cache.close();
  }, 20_000);

  test("the periodic health check notices a dead Redis without any traffic", async () => {
    const layer = redis({
      url: server.url,
      prefix: "idle:",
      healthCheckInterval: 0.05,
      probeInterval: 50,
      fallback: file({ dir: join(root, "idle") }),
      log: () => {},
    });
    const cache = createCache({ layers: [layer] });
    const seen = watch(cache);
    await cache.set("q", 1);
    await duringOutage(seen, async () => {
      await until(() => seen.degraded.length > 0, 2_000, "degradation by health check");
      expect((await cache.health()).layers[0]!.state).toBe("degraded");
    });
    expect((await cache.health()).state).toBe("up");
    await cache.close();
  }, 20_000);

  test("without a fallback a dead Redis is a miss plus an error event, never an exception", async () => {
    const cache = createCache({ layers: [redis({ url: server.url, prefix: "bare:", probeInterval: 50, log: () => {} })] });
    const seen = watch(cache);
    await cache.set("q", "v");
    await duringOutage(seen, async () => {
      await cache.set("q", "v2");
      expect(await cache.get("q")).toBeUndefined();
      expect(await cache.getOrSet("q", () => "loaded")).toBe("loaded");
      await cache.delete("q");
      await cache.invalidateTags(["t"]);
      expect(seen.errors.length).toBeGreaterThan(0);
      expect((await cache.health()).state).toBe("down");
    });
    await cache.close();
  }, 20_000);

  test("more changes while down than maxJournal: recovery clears the whole prefix instead of serving anything stale", async () => {
    const layer = redis({
      url: server.url,
      prefix: "overflow:",
      maxJournal: 3,
      probeInterval: 50,
      fallback: file({ dir: join(root, "overflow") }),
      log: () => {},
    });
    const cache = createCache({ layers: [layer] });
    const seen = watch(cache);
    await cache.set("kept before", "old");
    await cache.set("changed", "old");
    await snapshot();
    await duringOutage(seen, async () => {
      for (let i = 0; i < 5; i++) await cache.set(`while down ${i}`, i);
      await cache.set("changed", "new");
      expect(layer.stats().pendingReconcile).toBe(1);
    });
    expect(await cache.get("changed")).toBeUndefined();
    expect(await cache.get("kept before")).toBeUndefined();
    expect(await cache.get("while down 1")).toBeUndefined();
    await cache.close();
  }, 20_000);

  test("after the subscription comes back, the faster layers are cleared: invalidations sent meanwhile were missed", async () => {
    const layer = redis({
      url: server.url,
      prefix: "resync:",
      probeInterval: 50,
      fallback: file({ dir: join(root, "resync") }),
      log: () => {},
    });
    const cache = createCache({ layers: [memory(), layer] });
    const seen = watch(cache);
    await cache.set("q", "v");
    expect(await cache.lookup("q")).toMatchObject({ layer: "memory" });
    await server.kill();
    await server.restart();
    await until(async () => (await cache.lookup("q")) === undefined, 3_000, "the memory layer to be cleared");
    expect(seen.errors.filter((e) => e.layer === "memory")).toEqual([]);
    await cache.close();
  }, 20_000);
});
