import KeyvRedis from "@keyv/redis";
import { createCache } from "cache-manager";
import { CacheableMemory } from "cacheable";
import { Keyv } from "keyv";
import type { ContenderSetup, ContenderSpec, Tiers } from "./types.ts";

/** cache-manager 7 over Keyv stores, as its README sets it up (CacheableMemory LRU, then @keyv/redis). */
function cacheManager(tiers: Extract<Tiers, "memory" | "memory+redis">): ContenderSpec {
  return {
    name: `cache-manager + keyv (${tiers})`,
    tiers,
    async create({ redisUrl, l1Max, ttlMs }: ContenderSetup) {
      const stores = [new Keyv({ store: new CacheableMemory({ ttl: ttlMs, lruSize: l1Max }) })];
      if (tiers === "memory+redis") stores.push(new Keyv({ store: new KeyvRedis(redisUrl) }));
      const cache = createCache({ stores, ttl: ttlMs });
      return {
        get: (key) => cache.get(key as string),
        set: (key, value) => cache.set(key, value, ttlMs),
        getOrSet: (key, loader) => cache.wrap(key, loader, ttlMs),
        close: async () => void (await cache.disconnect()),
      };
    },
  };
}

export const cacheManagerMemory = cacheManager("memory");
export const cacheManagerRedis = cacheManager("memory+redis");
