import { z } from "zod";
import { toMs, type CacheLayer, type Duration } from "../../src/index.ts";
import { durationSchema, pluginRefSchema, type EnvAlias } from "../../src/index.ts";

/** One Redis node: a host and a port. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * What `redis()` takes: where Redis is (one of `url`, `sentinel`, `cluster`), the pool, the breaker
 * and the fallback.
 * @example
 * ```ts
 * redis({ sentinel: { sentinels: [{ host: "10.0.0.5", port: 26379 }], name: "mymaster" }, prefix: "rag:" });
 * ```
 */
export interface RedisLayerOptions {
  /** Layer name in events, stats and X-Cache-Layer. Default "redis". */
  name?: string;
  /** Standalone Redis: `redis://[user:pass@]host:port[/db]` or `rediss://…`. Default: REDIS_URL, else "redis://127.0.0.1:6379". */
  url?: string;
  /** Sentinel instead of `url`: the sentinels and the name of the master set they watch. Default: none. */
  sentinel?: { sentinels: RedisNode[]; name: string; password?: string };
  /** Cluster instead of `url`: some of its nodes (the rest are discovered). Default: none. */
  cluster?: { nodes: RedisNode[] };
  /** Credentials when not in `url` (Sentinel and Cluster nodes). Default: none. */
  username?: string;
  password?: string;
  /**
   * Connections in the pool; each auto-pipelines, a command goes to the least busy one. Default 2:
   * more connections only add syscalls per command on a nearby Redis (see the Redis pool section of
   * bench/RESULTS.md), and 2 keeps one large value or a long SCAN from stalling every other hit.
   * Env `RAG_REDIS_MAX_CONNECTIONS`.
   */
  maxConnections?: number;
  /** Budget to open a connection. Default "1s". */
  connectTimeout?: Duration;
  /** Budget of one command; a timed-out command is retried (see `retries`). Default "250ms". */
  commandTimeout?: Duration;
  /** A socket silent this long while commands wait is dropped and reconnected. Default "5s". Env `RAG_SOCKET_TIMEOUT` (seconds). */
  socketTimeout?: Duration;
  /** Retries of a command that timed out, on the least busy connection (every command here is idempotent). Default 1. */
  retries?: number;
  /** Commands one connection may have in flight; past it a command waits in the pool's queue. Default 512. */
  maxInFlightPerConnection?: number;
  /** Every connection full for this long → `exhausted` in stats and a "pool-exhausted" event. Default "100ms". */
  exhaustedAfter?: Duration;
  /** Seconds between health checks (PING on each connection); 0 turns them off. Default 30. Env `RAG_HEALTH_CHECK_INTERVAL`. */
  healthCheckInterval?: number;
  /** Prepended to every Redis key and to the invalidation channel. Default "ragcache:". */
  prefix?: string;
  /**
   * Where reads and writes go while Redis is unreachable (usually `file()`). It is emptied whenever
   * Redis is reachable (at start, after recovery), so it only ever holds what was written during an
   * outage. Default: none (misses + error events).
   */
  fallback?: CacheLayer;
  /** Failures among the last 20 commands that open the breaker (a lost connection opens it at once). Default 5. */
  failureThreshold?: number;
  /** While the breaker is open, how often Redis is probed. Default "500ms". */
  probeInterval?: Duration;
  /** Keys/tags/namespaces remembered while degraded; past it, recovery clears this prefix in Redis instead. Default 10 000. */
  maxJournal?: number;
  /** Publish invalidations on a Redis channel so other processes evict their faster layers. Default true. */
  invalidationBus?: boolean;
  /** Budget of one layer call in the chain, in ms. Default: the chain's `layerTimeout`. */
  timeout?: number;
  /** Where plain degraded/recovered lines go. Default none: the chain's logger reports those events as JSON lines. */
  log?: (line: string) => void;
}

const node = z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) });

/** Options as plain config; `fallback` is a nested plugin reference (`{ "use": "file", … }`). */
export const configSchema = z
  .strictObject({
    name: z.string().min(1),
    url: z.string().regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL"),
    sentinel: z.strictObject({ sentinels: z.array(node).min(1), name: z.string().min(1), password: z.string().optional() }),
    cluster: z.strictObject({ nodes: z.array(node).min(1) }),
    username: z.string(),
    password: z.string(),
    maxConnections: z.number().int().min(1).max(256),
    connectTimeout: durationSchema,
    commandTimeout: durationSchema,
    socketTimeout: durationSchema,
    retries: z.number().int().min(0).max(10),
    maxInFlightPerConnection: z.number().int().positive(),
    exhaustedAfter: durationSchema,
    healthCheckInterval: z.number().nonnegative(),
    prefix: z.string(),
    fallback: pluginRefSchema,
    failureThreshold: z.number().int().min(1).max(20),
    probeInterval: durationSchema,
    maxJournal: z.number().int().positive(),
    invalidationBus: z.boolean(),
    timeout: z.number().positive(),
  })
  .partial()
  .refine((o) => [o.url, o.sentinel, o.cluster].filter(Boolean).length <= 1, {
    message: "give only one of url, sentinel, cluster",
  });

/** Env vars that set options besides the generic `RAG_REDIS_<OPTION>`; `RAG_SOCKET_TIMEOUT=5.0` is seconds. */
export const envAliases: Record<string, EnvAlias> = {
  RAG_HEALTH_CHECK_INTERVAL: "healthCheckInterval",
  RAG_SOCKET_TIMEOUT: { option: "socketTimeout", unit: "s" },
};

export type Settings = ReturnType<typeof settle>;

/** Options with defaults applied and durations in ms. */
export function settle(options: RedisLayerOptions) {
  const name = options.name ?? "redis";
  return {
    name,
    url: options.url ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    sentinel: options.sentinel,
    cluster: options.cluster,
    username: options.username,
    password: options.password,
    maxConnections: options.maxConnections ?? 2,
    connectTimeoutMs: toMs(options.connectTimeout ?? "1s", "connectTimeout"),
    commandTimeoutMs: toMs(options.commandTimeout ?? "250ms", "commandTimeout"),
    socketTimeoutMs: toMs(options.socketTimeout ?? "5s", "socketTimeout"),
    retries: options.retries ?? 1,
    maxInFlightPerConnection: options.maxInFlightPerConnection ?? 512,
    exhaustedAfterMs: toMs(options.exhaustedAfter ?? "100ms", "exhaustedAfter"),
    healthCheckMs: (options.healthCheckInterval ?? 30) * 1000,
    prefix: options.prefix ?? "ragcache:",
    failureThreshold: options.failureThreshold ?? 5,
    probeIntervalMs: toMs(options.probeInterval ?? "500ms", "probeInterval"),
    maxJournal: options.maxJournal ?? 10_000,
    invalidationBus: options.invalidationBus ?? true,
    log: options.log ?? (() => {}),
  };
}
