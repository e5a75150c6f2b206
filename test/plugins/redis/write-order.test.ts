// Pins the pool's writer connection (plugins/redis/pool.ts): changes reach Redis in the order they were issued.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createCache, createKey } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis({ private: true });
});
afterAll(() => server.stop());

test("sets and deletes of the same keys issued together, among reads on both connections, end as the last one issued", async () => {
  const l1 = memory({ max: 3 });
  const l2 = redis({ url: server.url, prefix: "order:", maxConnections: 2, invalidationBus: false, log: () => {} });
  const cache = createCache({ layers: [l1, l2], log: false });
  const keys = Array.from({ length: 6 }, (_, i) => createKey(`question ${i}`));
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let version = 0;
  const disagreements: string[] = [];
  for (let round = 0; round < 200; round++) {
    const last = new Map<number, number | undefined>();
    const calls: Promise<unknown>[] = [];
    for (let call = 0; call < 30; call++) {
      const index = Math.floor(random() * keys.length);
      const draw = random();
      if (draw < 0.6) calls.push(Promise.resolve(cache.get(keys[index]!)));
      else if (draw < 0.85) {
        last.set(index, ++version);
        calls.push(cache.set(keys[index]!, version));
      } else {
        last.set(index, undefined);
        calls.push(cache.delete(keys[index]!));
      }
      // Some calls a turn apart, so that both connections have commands out and pipelines of their own.
      if (random() < 0.3) await Promise.resolve();
    }
    await Promise.all(calls);
    for (const [index, value] of last) {
      const inRedis = (await l2.get(keys[index]!))?.value;
      if (inRedis !== value) disagreements.push(`round ${round}, key ${index}: issued last ${value}, Redis has ${inRedis}`);
    }
  }
  await cache.close();
  expect(disagreements).toEqual([]);
});

for (const [label, maxInFlightPerConnection, sets] of [
  ["a full writer (1 command per connection)", 1, 10],
  ["the default pool past its 512 commands per connection", undefined, 1_200],
] as const)
  test(`sets of one key queued behind ${label}, among reads, land in the order issued`, async () => {
    const l2 = redis({ url: server.url, prefix: "queued:", maxInFlightPerConnection, invalidationBus: false, log: () => {} });
    const cache = createCache({ layers: [l2], log: false });
    const key = createKey("the key");
    const others = Array.from({ length: 50 }, (_, i) => createKey(`other ${i}`));
    const disagreements: string[] = [];
    for (let round = 0; round < 10; round++) {
      const calls: Promise<unknown>[] = [];
      let last = 0;
      for (let i = 0; i < sets; i++) {
        calls.push(Promise.resolve(cache.get(others[i % others.length]!)));
        last = round * 10_000 + i;
        calls.push(cache.set(key, last));
        if (i % 100 === 99) await Promise.resolve();
      }
      await Promise.all(calls);
      const inRedis = (await l2.get(key))?.value;
      if (inRedis !== last) disagreements.push(`round ${round}: issued last ${last}, Redis has ${inRedis}`);
    }
    await cache.close();
    expect(disagreements).toEqual([]);
  });
