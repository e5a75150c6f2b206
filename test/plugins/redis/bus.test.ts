import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createCache, type Resolution } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startLineProcess } from "../../support/line-process.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const PREFIX = "bus:";
let server: RedisServer;
let peer: ReturnType<typeof startPeer>;
beforeAll(async () => {
  server = await startRedis();
  peer = startPeer(server.url);
  await peer.ask({ op: "lookup", q: "warm-up" });
});
afterAll(async () => {
  await peer.ask({ op: "close" });
  await server.stop();
});

/** The other process: each `ask` writes one command line and resolves with its answer line. */
function startPeer(url: string) {
  const peer = startLineProcess(["bun", "run", join(import.meta.dir, "peer.ts"), url, PREFIX]);
  return {
    async ask(command: object): Promise<Resolution | null> {
      peer.send(JSON.stringify(command));
      return JSON.parse(await peer.nextLine());
    },
  };
}

/** Polls until `check` holds; returns how long it took from `since`. */
async function within(ms: number, since: number, check: () => Promise<boolean>): Promise<number> {
  while (!(await check())) {
    if (performance.now() - since > ms) throw new Error(`not seen within ${ms} ms`);
    await Bun.sleep(2);
  }
  return performance.now() - since;
}

describe("redis layer invalidation bus", () => {
  const local = () => createCache({ layers: [memory(), redis({ url: server.url, prefix: PREFIX, log: () => {} })] });

  test("a set in this process evicts the other process's L1 entry within 100 ms", async () => {
    const cache = local();
    await cache.set("shared question", "v1");
    expect(await peer.ask({ op: "lookup", q: "shared question" })).toMatchObject({ value: "v1", layer: "redis" });
    // The set's own publish goes behind the write and may still evict the peer's fresh copy once.
    await within(
      1_000,
      performance.now(),
      async () => (await peer.ask({ op: "lookup", q: "shared question" }))?.layer === "memory",
    );
    const started = performance.now();
    await cache.set("shared question", "v2");
    const ms = await within(100, started, async () => (await peer.ask({ op: "lookup", q: "shared question" }))?.value === "v2");
    expect(ms).toBeLessThan(100);
    await cache.close();
  });

  test("a delete and a tag invalidation in the other process evict this process's L1 entries within 100 ms", async () => {
    const cache = local();
    await cache.set("to delete", "x");
    await cache.set("tagged", "y", { tags: ["doc:9"] });
    expect(await cache.lookup("to delete")).toMatchObject({ layer: "memory" });
    expect(await cache.lookup("tagged")).toMatchObject({ layer: "memory" });

    let started = performance.now();
    await peer.ask({ op: "delete", q: "to delete" });
    expect(await within(100, started, async () => (await cache.get("to delete")) === undefined)).toBeLessThan(100);

    started = performance.now();
    await peer.ask({ op: "invalidateTags", tags: ["doc:9"] });
    expect(await within(100, started, async () => (await cache.get("tagged")) === undefined)).toBeLessThan(100);
    await cache.close();
  });

  test("a set in the other process replaces what this process serves from L1", async () => {
    const cache = local();
    await cache.set("answer", "mine");
    expect(await cache.lookup("answer")).toMatchObject({ value: "mine", layer: "memory" });
    const started = performance.now();
    await peer.ask({ op: "set", q: "answer", value: "theirs" });
    expect(await within(100, started, async () => (await cache.get("answer")) === "theirs")).toBeLessThan(100);
    await cache.close();
  });

  test("a process does not evict its own L1 on its own writes' echo", async () => {
    const cache = local();
    await cache.set("own", "v");
    await Bun.sleep(30);
    expect(await cache.lookup("own")).toMatchObject({ layer: "memory" });
    await cache.close();
  });
});

describe("closing with the bus on", () => {
  test("close() returns while Redis is unreachable (the subscription never settles)", async () => {
    const dead = await startRedis();
    await dead.stop();
    const cache = createCache({ layers: [memory(), redis({ url: dead.url, prefix: PREFIX, log: () => {} })] });
    cache.on("error", () => {});
    expect(await cache.get("q")).toBeUndefined();
    const closed = await Promise.race([cache.close().then(() => "closed"), Bun.sleep(5_000).then(() => "still waiting")]);
    expect(closed).toBe("closed");
  });
});
