import Redis from "ioredis";
import { LRUCache } from "lru-cache";
import type { ContenderSpec } from "./types.ts";

/**
 * What a careful user writes by hand: lru-cache in front of auto-pipelined ioredis, back-fill on an
 * L2 hit, one loader per key. The reference for the get-or-load workloads, which raw clients lack.
 */
export const handWritten: ContenderSpec = {
  name: "hand-written lru-cache + ioredis + single flight",
  tiers: "memory+redis",
  baseline: true,
  async create({ redisUrl, l1Max, ttlMs }) {
    const lru = new LRUCache<string, object>({ max: l1Max, ttl: ttlMs });
    const client = new Redis(redisUrl, { enableAutoPipelining: true });
    const inflight = new Map<string, Promise<unknown>>();
    const get = (key: string): unknown => {
      const value = lru.get(key);
      if (value !== undefined) return value;
      return client.get(key).then((raw) => {
        if (raw === null) return undefined;
        const parsed = JSON.parse(raw);
        lru.set(key, parsed);
        return parsed;
      });
    };
    const set = async (key: string, value: unknown) => {
      lru.set(key, value as object);
      await client.set(key, JSON.stringify(value), "PX", ttlMs);
    };
    return {
      get: (key) => get(key as string),
      set,
      getOrSet(key, loader) {
        const value = lru.get(key);
        if (value !== undefined) return value;
        const running = inflight.get(key);
        if (running) return running;
        const loading = (async () => {
          const stored = await get(key);
          if (stored !== undefined) return stored;
          const loaded = await loader();
          await set(key, loaded);
          return loaded;
        })().finally(() => inflight.delete(key));
        inflight.set(key, loading);
        return loading;
      },
      close: async () => void (await client.quit()),
    };
  },
};
