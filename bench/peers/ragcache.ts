import { createCache, type CacheLayer, type CachePlugin } from "ragcache";
import { memory } from "ragcache/memory";
import type { Contender, ContenderSetup, ContenderSpec, Tiers } from "./types.ts";

/** The redis layer and the metrics plugin are imported lazily: a bench without them still measures the memory chain. */
async function redisLayer(url: string, prefix: string): Promise<CacheLayer> {
  const { redis } = await import("ragcache/redis");
  return redis({ url, prefix });
}

async function metricsPlugin(): Promise<CachePlugin> {
  const { metrics } = await import("ragcache/metrics");
  return metrics();
}

interface Variant {
  /** Pass `cache.key(...)` instead of the text, the documented way to skip the per-call key lookup on hot paths. */
  precomputed?: boolean;
  /** With the metrics plugin observing the chain. */
  metrics?: boolean;
  /** `freezeValues: false`: values kept as given and served unfrozen (the documented opt-out), to show what freezing costs. */
  unfrozen?: boolean;
}

/** The chain as users build it. */
function ragcache(tiers: Tiers, variant: Variant = {}): ContenderSpec {
  const labels = [
    tiers,
    variant.precomputed && "precomputed key",
    variant.metrics && "metrics",
    variant.unfrozen && "freezeValues: false",
  ].filter(Boolean);
  return {
    name: `ragcache (${labels.join(", ")})`,
    tiers,
    variant: Boolean(variant.precomputed || variant.metrics || variant.unfrozen),
    async create({ redisUrl, l1Max, ttlMs }: ContenderSetup): Promise<Contender> {
      const layers: CacheLayer[] = tiers === "redis" ? [] : [memory({ max: l1Max })];
      // A prefix (and so a bus channel) per contender: two contenders on one Redis are not one application's processes.
      if (tiers !== "memory") layers.push(await redisLayer(redisUrl, `bench-${labels.join("-").replace(/\W+/g, "-")}:`));
      const plugins = variant.metrics ? [await metricsPlugin()] : [];
      const cache = createCache({ layers, plugins, defaultTtl: ttlMs, freezeValues: !variant.unfrozen });
      await cache.ready;
      return {
        key: variant.precomputed ? (text) => cache.key(text) : undefined,
        get: (key) => cache.get(key as string),
        set: (key, value) => cache.set(key, value),
        getOrSet: (key, loader) => cache.getOrSet(key, loader),
        close: () => cache.close(),
      };
    },
  };
}

export const ragcacheMemory = ragcache("memory");
export const ragcacheMemoryKeyed = ragcache("memory", { precomputed: true });
export const ragcacheMemoryMetrics = ragcache("memory", { metrics: true });
export const ragcacheMemoryMetricsKeyed = ragcache("memory", { precomputed: true, metrics: true });
export const ragcacheRedisOnly = ragcache("redis");
export const ragcacheRedis = ragcache("memory+redis");
export const ragcacheRedisUnfrozen = ragcache("memory+redis", { unfrozen: true });
