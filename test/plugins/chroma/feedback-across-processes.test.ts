// Pins plugins/chroma/feedback.ts and Cache.reject across processes: a verdict given in one process holds in another at once.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createCache, createKey, type Cache, type CacheLayer } from "ragcache";
import { chroma, type ChromaLayer } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { chromaForTests } from "../../support/chroma-server.ts";
import { startLineProcess } from "../../support/line-process.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const server = chromaForTests("feedback-peers");
let redisServer: RedisServer | undefined;
afterAll(() => redisServer?.stop());

const STORED = "how do i reset my password";
const ASKED = "how can i reset my password";

/** Process B: its own memory L1 over the same Redis prefix and Chroma collection. */
function startPeer(args: string[]) {
  const peer = startLineProcess(["bun", "run", join(import.meta.dir, "feedback-peer.ts"), ...args]);
  return {
    async lookup(q: string): Promise<{ value: unknown; layer: string } | null> {
      peer.send(JSON.stringify({ op: "lookup", q }));
      return JSON.parse(await peer.nextLine());
    },
    async close(): Promise<void> {
      peer.send(JSON.stringify({ op: "close" }));
      await peer.nextLine();
    },
  };
}

/** Polls until `check` holds, within `ms`. */
async function until(ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not seen within ${ms} ms`);
    await Bun.sleep(2);
  }
}

test("a match rejected in process A is never served by process B again within 100 ms (Redis bus, Chroma verdicts)", async () => {
  redisServer ??= await startRedis();
  const prefix = `feedback-peers-${crypto.randomUUID()}:`;
  const collection = server.collection();
  const b = startPeer([redisServer.url, prefix, server.url, collection]);
  expect(await b.lookup(STORED)).toBeNull();
  const semantic = chroma({ url: server.url, collection, timeout: "5s" });
  const exact = redis({ url: redisServer.url, prefix, log: () => {} });
  const a = createCache({ layers: [memory(), exact, semantic], layerTimeout: "10s", log: false });
  try {
    await rejectInAWatchB(a, semantic, exact, b);
  } finally {
    await b.close();
    await a.close();
  }
});

async function rejectInAWatchB(a: Cache, semantic: ChromaLayer, exact: CacheLayer, b: ReturnType<typeof startPeer>) {
  await a.set(STORED, "answer");
  await semantic.flush();
  const hit = await a.lookup(ASKED);
  expect(hit).toMatchObject({ value: "answer", layer: "chroma", matchedText: STORED });
  await until(2_000, async () => (await exact.get(createKey(ASKED))) !== undefined);
  // B serves the match from its own L1 (copied from the Redis back-fill), where only the bus can reach it.
  await until(2_000, async () => (await b.lookup(ASKED))?.layer === "memory");

  // B has checked verdicts before (a semantic hit of its own), so a copy of them taken then would be stale.
  expect(await b.lookup("hi, how can I reset my password please")).toMatchObject({ value: "answer", layer: "chroma" });

  await a.reject(hit!);
  const rejected = performance.now();
  await until(100, async () => (await b.lookup(ASKED)) === null);
  const goneAfter = performance.now() - rejected;
  // Never again: B's lookups now reach Chroma, where the verdict refuses the match.
  for (let i = 0; i < 20; i++) {
    expect(await b.lookup(ASKED)).toBeNull();
    await Bun.sleep(5);
  }
  expect(await b.lookup("hi, how can i reset my password, please?")).toMatchObject({ value: "answer", layer: "chroma" });
  expect(goneAfter).toBeLessThan(100);
}
