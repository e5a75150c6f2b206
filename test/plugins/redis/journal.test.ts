// Pins plugins/redis/journal.ts, journal-log.ts, replay.ts and the start of plugins/redis/index.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createCache, isRagCacheError } from "ragcache";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { decodeEntry } from "../../../plugins/redis/codec.ts";
import { Journal } from "../../../plugins/redis/journal.ts";
import { fileLog, memoryLog } from "../../../plugins/redis/journal-log.ts";
import { startLineProcess } from "../../support/line-process.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
const root = mkdtempSync(join(tmpdir(), "ragcache-journal-"));
beforeAll(async () => {
  server = await startRedis({ private: true });
});
afterAll(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The writer process (journal-writer.ts) on `dir`. */
function startWriter(prefix: string, dir: string, stderr: "inherit" | "ignore" = "inherit") {
  return startLineProcess(["bun", "run", join(import.meta.dir, "journal-writer.ts"), server.url, prefix, dir], stderr);
}

/** A plain client that reads what Redis holds for a query, as the layer stores it. */
async function inRedis(prefix: string, query: string): Promise<unknown> {
  const probe = createCache({ layers: [redis({ url: server.url, prefix, invalidationBus: false, log: () => {} })] });
  const admin = new Redis(server.url);
  const raw = await admin.get(`${prefix}${probe.key(query).id}`);
  admin.disconnect();
  await probe.close();
  return raw === null ? undefined : decodeEntry(raw, "test").value;
}

describe("redis journal", () => {
  test("writes acknowledged while Redis hangs survive the writer's SIGKILL: the next process replays them before reading", async () => {
    const prefix = "crash:";
    const dir = join(root, "crash");
    const count = 50;
    const before = createCache({ layers: [redis({ url: server.url, prefix, log: () => {} })] });
    for (let i = 0; i < count; i++) await before.set(`journal ${i}`, `old ${i}`);
    await before.close();

    const writer = startWriter(prefix, dir);
    expect(await writer.nextLine()).toBe("ready");
    server.pause();
    try {
      writer.send(`write ${count}`);
      expect(await writer.nextLine()).toBe(`acked ${count}`);
      await writer.kill();
    } finally {
      server.resume();
    }
    const journal = readFileSync(join(dir, "redis-journal.log"), "utf8").split("\n");
    expect(journal[0]).toBe("ragcache-journal 1");
    expect(journal.filter((line) => line.startsWith("set ")).length).toBe(count);

    const started = performance.now();
    const fresh = createCache({ layers: [redis({ url: server.url, prefix, fallback: file({ dir }), log: () => {} })] });
    const values = await Promise.all(Array.from({ length: count }, (_, i) => fresh.get(`journal ${i}`)));
    const ms = performance.now() - started;
    expect(values).toEqual(Array.from({ length: count }, (_, i) => `new ${i}`));
    expect(ms).toBeLessThan(5_000);
    expect(await inRedis(prefix, "journal 7")).toBe("new 7");
    expect(existsSync(join(dir, "redis-journal.log"))).toBe(false);
    await fresh.close();
  }, 30_000);

  test("replay is newer-wins: a journaled write replaces an older Redis value, never a newer one", async () => {
    const prefix = "order:";
    const dir = join(root, "order");
    const early = createCache({ layers: [redis({ url: server.url, prefix, log: () => {} })] });
    await early.set("older in redis", "redis, before the outage");
    await early.close();
    const admin = new Redis(server.url);
    await admin.save();
    admin.disconnect();

    const writer = createCache({ layers: [redis({ url: server.url, prefix, fallback: file({ dir }), log: () => {} })] });
    await writer.set("warm up", 1);
    await server.kill();
    try {
      await Bun.sleep(5);
      await writer.set("older in redis", "journaled during the outage");
      await writer.set("newer in redis", "journaled during the outage");
      await writer.close();
    } finally {
      await server.restart();
    }
    await Bun.sleep(5);
    const later = createCache({ layers: [redis({ url: server.url, prefix, log: () => {} })] });
    await later.set("newer in redis", "redis, after the outage");
    await later.close();

    const fresh = createCache({ layers: [redis({ url: server.url, prefix, fallback: file({ dir }), log: () => {} })] });
    expect(await fresh.get("older in redis")).toBe("journaled during the outage");
    expect(await fresh.get("newer in redis")).toBe("redis, after the outage");
    await fresh.close();
  }, 30_000);

  test("a journaled write that expired before the replay still replaces the older Redis value: a miss, not the old value", async () => {
    const prefix = "expired:";
    const dir = join(root, "expired");
    const early = createCache({ layers: [redis({ url: server.url, prefix, log: () => {} })] });
    await early.set("q", "old, for an hour", { ttl: "1h" });
    await early.close();
    const offline = { url: "redis://127.0.0.1:1", connectTimeout: 100, prefix, log: () => {} };
    const writer = createCache({ layers: [redis({ ...offline, fallback: file({ dir }) })] });
    await writer.set("q", "new, for 50 ms", { ttl: 50 });
    await writer.close();
    await Bun.sleep(100);
    const fresh = createCache({ layers: [redis({ url: server.url, prefix, fallback: file({ dir }), log: () => {} })] });
    expect(await fresh.get("q")).toBeUndefined();
    expect(await inRedis(prefix, "q")).toBeUndefined();
    await fresh.close();
  }, 30_000);

  test("one process per folder: a second one is refused with E_CONFIG_INVALID, a dead holder's lock is taken over", async () => {
    const dir = join(root, "shared");
    const writer = startWriter("shared:", dir);
    expect(await writer.nextLine()).toBe("ready");
    let refused: unknown;
    try {
      redis({ url: server.url, prefix: "shared:", fallback: file({ dir }), log: () => {} });
    } catch (error) {
      refused = error;
    }
    expect(isRagCacheError(refused, "E_CONFIG_INVALID")).toBe(true);
    expect((refused as Error).message).toContain(`in use by process ${writer.pid}`);

    await writer.kill();
    const first = redis({ url: server.url, prefix: "shared:", fallback: file({ dir }), log: () => {} });
    expect(() => redis({ url: server.url, prefix: "shared:", journalDir: dir, log: () => {} })).toThrow(
      "another redis layer of this process",
    );
    await first.close?.();
    const again = redis({ url: server.url, prefix: "shared:", fallback: file({ dir }), log: () => {} });
    await again.close?.();
    writeFileSync(join(root, "a file"), "");
    expect(() => redis({ url: server.url, journalDir: join(root, "a file", "journal") })).toThrow("cannot be created");
  }, 30_000);

  test("processes starting together on a folder with a dead holder's lock: exactly one takes it over", async () => {
    const dir = join(root, "race");
    mkdirSync(dir, { recursive: true });
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    writeFileSync(join(dir, "redis-journal.lock"), `${dead.pid}\n`);
    const writers = Array.from({ length: 4 }, () => startWriter("race:", dir, "ignore"));
    const outcomes = await Promise.all(writers.map((writer) => writer.nextLine().catch(() => "refused")));
    expect(outcomes.sort()).toEqual(["ready", "refused", "refused", "refused"]);
    await Promise.all(writers.map((writer) => writer.kill()));
  }, 30_000);

  test("a process that starts while Redis is still down serves the journaled writes from the fallback, and replays them once Redis is back", async () => {
    const prefix = "late:";
    const dir = join(root, "late");
    const writer = createCache({ layers: [redis({ url: server.url, prefix, fallback: file({ dir }), log: () => {} })] });
    await writer.set("q", "before");
    await server.kill();
    let restarted = false;
    try {
      await writer.set("q", "during the outage");
      await writer.close();
      const fresh = createCache({
        layers: [
          redis({ url: server.url, prefix, connectTimeout: 200, probeInterval: 50, fallback: file({ dir }), log: () => {} }),
        ],
      });
      const recovered = new Promise((resolve) => fresh.on("recovered", resolve));
      expect(await fresh.get("q")).toBe("during the outage");
      await server.restart();
      restarted = true;
      await recovered;
      expect(await inRedis(prefix, "q")).toBe("during the outage");
      await fresh.close();
    } finally {
      if (!restarted) await server.restart();
    }
  }, 30_000);

  test("past maxJournalBytes the journal collapses to one clear, as past maxJournal", async () => {
    const dir = join(root, "bytes");
    const layer = redis({
      url: "redis://127.0.0.1:1",
      connectTimeout: 100,
      maxJournalBytes: 1_500,
      fallback: file({ dir }),
      log: () => {},
    });
    const cache = createCache({ layers: [layer] });
    for (let i = 0; i < 2; i++) await cache.set(`big ${i}`, "x".repeat(400));
    expect(layer.stats().pendingReconcile).toBe(2);
    await cache.set("big 2", "x".repeat(400));
    expect(layer.stats().pendingReconcile).toBe(1);
    expect(readFileSync(join(dir, "redis-journal.log"), "utf8")).toBe("ragcache-journal 1\nclear\n");
    await cache.close();
  }, 30_000);

  for (const [kind, open] of [
    ["in memory", () => memoryLog()],
    ["on disk", () => fileLog(join(root, "forget"), "always", "redis")],
  ] as const) {
    test(`after a replay only the replayed lines are forgotten: a change journaled meanwhile stays (${kind})`, async () => {
      const journal = new Journal(open(), { changes: 100, bytes: 1_000_000 });
      const key = (text: string) => createCache({ layers: [memory()] }).key(text);
      await journal.record({ operation: "delete", key: key("a") });
      await journal.record({ operation: "invalidateTags", tags: ["t"] });
      const replayed = await journal.plan();
      await journal.record({ operation: "delete", key: key("late") });
      await journal.forget(replayed);
      expect(journal.size).toBe(1);
      expect([...(await journal.plan()).ids.keys()]).toEqual([key("late").id]);
      await journal.close();
    });
  }

  test("a line torn by a crash is skipped with an error event; the lines around it are replayed", async () => {
    const prefix = "torn:";
    const dir = join(root, "torn");
    const unreachable = { url: "redis://127.0.0.1:1", connectTimeout: 100, prefix, log: () => {} };
    const before = createCache({ layers: [redis({ ...unreachable, fallback: file({ dir }) })] });
    await before.set("q", "journaled");
    await before.close();
    appendFileSync(join(dir, "redis-journal.log"), 'set torn:0 [1,"torn by the cr');
    const after = createCache({ layers: [redis({ ...unreachable, fallback: file({ dir }) })] });
    await after.set("q2", "after the torn line");
    await after.close();

    const fresh = createCache({ layers: [redis({ url: server.url, prefix, fallback: file({ dir }), log: () => {} })] });
    const errors: string[] = [];
    fresh.on("error", (event) => errors.push(`${event.operation}: ${event.error.message}`));
    expect(await fresh.get("q")).toBe("journaled");
    expect(await fresh.get("q2")).toBe("after the torn line");
    expect(errors).toEqual([expect.stringContaining("replay: redis: 1 journal line(s) unreadable")]);
    await fresh.close();
  }, 30_000);
});
