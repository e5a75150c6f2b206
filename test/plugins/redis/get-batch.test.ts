// Pins plugins/redis/get-batch.ts through the layer: lookups of one microtask turn share one MGET.
import { expect, test } from "bun:test";
import { Redis } from "ioredis";
import { createCache, createKey } from "ragcache";
import { redis } from "ragcache/redis";
import { testContext, testEntry } from "ragcache/testing";
import { redisForTests } from "../../support/redis-for-tests.ts";

const redisTest = redisForTests();

const quiet = () => {};

/** Calls of GET and MGET Redis has run so far (INFO commandstats). */
async function reads(): Promise<{ get: number; mget: number }> {
  const info = await redisTest.admin.info("commandstats");
  const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return { get: calls("get"), mget: calls("mget") };
}

async function readsDuring(work: () => Promise<unknown>): Promise<{ get: number; mget: number }> {
  const before = await reads();
  await work();
  const after = await reads();
  return { get: after.get - before.get, mget: after.mget - before.mget };
}

test("lookups issued in one turn go to Redis as one MGET, each answered with its own entry or a miss", async () => {
  const layer = redis({ url: redisTest.url, prefix: "batch:", invalidationBus: false, log: quiet });
  layer.attach!(testContext());
  try {
    const keys = Array.from({ length: 64 }, (_, i) => createKey(`batched ${i}`));
    for (const [i, key] of keys.entries()) if (i % 2 === 0) await layer.set(key, testEntry(key, { i }));
    let answers: unknown[] = [];
    const calls = await readsDuring(async () => {
      answers = await Promise.all(keys.map((key) => layer.get(key)));
    });
    expect(calls).toEqual({ get: 0, mget: 1 });
    expect(answers.map((hit) => (hit as { value?: unknown } | undefined)?.value)).toEqual(
      keys.map((_, i) => (i % 2 === 0 ? { i } : undefined)),
    );
    expect(layer.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  } finally {
    await layer.close!();
  }
});

test("a lone lookup is a plain GET, and a turn with more than 512 lookups is split into several MGETs", async () => {
  const layer = redis({ url: redisTest.url, prefix: "batch-split:", invalidationBus: false, log: quiet });
  layer.attach!(testContext());
  try {
    const key = createKey("alone");
    await layer.set(key, testEntry(key, "v"));
    expect(await readsDuring(async () => expect((await layer.get(key))?.value).toBe("v"))).toEqual({ get: 1, mget: 0 });
    const many = Array.from({ length: 600 }, (_, i) => createKey(`many ${i}`));
    const calls = await readsDuring(() => Promise.all(many.map((k) => layer.get(k))));
    expect(calls).toEqual({ get: 0, mget: 2 });
  } finally {
    await layer.close!();
  }
});

test("a batch that times out fails every lookup in it: through the chain each is a miss with its own error", async () => {
  const key = createKey("stored");
  const layer = redis({ url: redisTest.url, prefix: "batch-timeout:", commandTimeout: 100, retries: 0, log: quiet });
  const cache = createCache({ layers: [layer], log: false });
  const errors: string[] = [];
  cache.on("error", (event) => void errors.push(`${event.operation}: ${event.error.message}`));
  try {
    await cache.set(key, "v");
    const blocker = new Redis(redisTest.url);
    await blocker.ping();
    const blocked = blocker.eval(
      "local t = redis.call('TIME'); local stop = t[1] * 1000000 + t[2] + 300000; repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= stop",
      0,
    );
    await Bun.sleep(10);
    const answers = await Promise.all([cache.get(key), cache.get("missing"), cache.get("another")]);
    await blocked;
    blocker.disconnect();
    expect(answers).toEqual([undefined, undefined, undefined]);
    expect(errors).toEqual(Array.from({ length: 3 }, () => "get: Command timed out"));
    expect(await cache.get(key)).toBe("v");
  } finally {
    await cache.close();
  }
});
