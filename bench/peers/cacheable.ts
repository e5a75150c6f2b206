import KeyvRedis from "@keyv/redis";
import { Cacheable, CacheableMemory } from "cacheable";
import { Keyv } from "keyv";
import type { ContenderSetup, ContenderSpec, Tiers } from "./types.ts";

/** cacheable's two-tier Cacheable: an LRU CacheableMemory primary, @keyv/redis secondary. */
function cacheable(tiers: Extract<Tiers, "memory" | "memory+redis">): ContenderSpec {
  return {
    name: `cacheable (${tiers})`,
    tiers,
    async create({ redisUrl, l1Max, ttlMs }: ContenderSetup) {
      const cache = new Cacheable({
        primary: new Keyv({ store: new CacheableMemory({ ttl: ttlMs, lruSize: l1Max }) }),
        secondary: tiers === "memory+redis" ? new KeyvRedis(redisUrl) : undefined,
        ttl: ttlMs,
      });
      return {
        get: (key) => cache.get(key as string),
        set: (key, value) => cache.set(key, value),
        getOrSet: (key, loader) => cache.getOrSet(key, loader),
        close: () => cache.disconnect(),
      };
    },
  };
}

export const cacheableMemory = cacheable("memory");
export const cacheableRedis = cacheable("memory+redis");
