import { createCache, type CacheLayer } from "ragcache";
import { memory } from "ragcache/memory";
import type { Contender, ContenderSetup, ContenderSpec, Tiers } from "./types.ts";

/** The redis layer is imported lazily: a bench without it still measures the memory chain. */
async function redisLayer(url: string): Promise<CacheLayer> {
  const { redis } = await import("ragcache/redis");
  return redis({ url });
}

/**
 * The chain as users build it. `precomputed` passes `cache.key(...)` instead of the text, the
 * documented way to skip the per-call key lookup on hot paths.
 */
function ragcache(tiers: Extract<Tiers, "memory" | "memory+redis">, precomputed = false): ContenderSpec {
  return {
    name: `ragcache (${tiers}${precomputed ? ", precomputed key" : ""})`,
    tiers,
    async create({ redisUrl, l1Max, ttlMs }: ContenderSetup): Promise<Contender> {
      const layers: CacheLayer[] = [memory({ max: l1Max })];
      if (tiers === "memory+redis") layers.push(await redisLayer(redisUrl));
      const cache = createCache({ layers, defaultTtl: ttlMs });
      return {
        key: precomputed ? (text) => cache.key(text) : undefined,
        get: (key) => cache.get(key as string),
        set: (key, value) => cache.set(key, value),
        getOrSet: (key, loader) => cache.getOrSet(key, loader),
        close: () => cache.close(),
      };
    },
  };
}

export const ragcacheMemory = ragcache("memory");
export const ragcacheMemoryKeyed = ragcache("memory", true);
export const ragcacheRedis = ragcache("memory+redis");
