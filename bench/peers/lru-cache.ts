import { LRUCache } from "lru-cache";
import type { ContenderSpec } from "./types.ts";

/** Raw lru-cache: the L1 baseline. No loader, no single flight. */
export const rawLruCache: ContenderSpec = {
  name: "raw lru-cache",
  tiers: "memory",
  baseline: true,
  async create({ l1Max, ttlMs }) {
    const lru = new LRUCache<string, object>({ max: l1Max, ttl: ttlMs });
    return {
      get: (key) => lru.get(key as string),
      set: (key, value) => void lru.set(key, value as object),
      close: async () => lru.clear(),
    };
  },
};
