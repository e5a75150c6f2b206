import { bentocacheMemory, bentocacheRedis } from "./bentocache.ts";
import { cacheManagerMemory, cacheManagerRedis } from "./cache-manager.ts";
import { cacheableMemory, cacheableRedis } from "./cacheable.ts";
import { handWritten } from "./hand-written.ts";
import { rawIoredisPipelined, rawIoredisPlain } from "./ioredis.ts";
import { rawLruCache } from "./lru-cache.ts";
import {
  ragcacheMemory,
  ragcacheMemoryKeyed,
  ragcacheMemoryMetrics,
  ragcacheMemoryMetricsKeyed,
  ragcacheRedis,
  ragcacheRedisOnly,
  ragcacheRedisUnfrozen,
} from "./ragcache.ts";
import type { ContenderSpec } from "./types.ts";

export type { Contender, ContenderSetup, ContenderSpec, Tiers } from "./types.ts";

/** Every contender, baselines first. Adding one = one adapter file + one line here. */
export const contenders: readonly ContenderSpec[] = [
  rawLruCache,
  rawIoredisPipelined,
  rawIoredisPlain,
  handWritten,
  ragcacheMemory,
  ragcacheMemoryKeyed,
  ragcacheMemoryMetrics,
  ragcacheMemoryMetricsKeyed,
  ragcacheRedisOnly,
  ragcacheRedis,
  ragcacheRedisUnfrozen,
  bentocacheMemory,
  bentocacheRedis,
  cacheManagerMemory,
  cacheManagerRedis,
  cacheableMemory,
  cacheableRedis,
];
