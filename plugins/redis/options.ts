import { z } from "zod";
import {
  durationSchema,
  functionSchema,
  layerSchema,
  parseOptions,
  pluginRefSchema,
  positiveDurationSchema,
  toMs,
  type EnvAlias,
} from "../../src/index.ts";

const node = z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) });

/** One Redis node: a host and a port. */
export type RedisNode = z.infer<typeof node>;

/** The options that plain config can give too; `fallback` is added by each schema below. */
const jsonOptions = z.strictObject({
  /** Layer name in events, stats and X-Cache-Layer. Default "redis". */
  name: z.string().min(1).default("redis"),
  /** Standalone Redis: `redis://[user:pass@]host:port[/db]` or `rediss://…`. Default: REDIS_URL, else "redis://127.0.0.1:6379". */
  url: z
    .string()
    .regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL")
    .optional(),
  /** Sentinel instead of `url`: the sentinels and the name of the master set they watch. Default: none. */
  sentinel: z
    .strictObject({ sentinels: z.array(node).min(1), name: z.string().min(1), password: z.string().optional() })
    .optional(),
  /** Cluster instead of `url`: some of its nodes (the rest are discovered). Default: none. */
  cluster: z.strictObject({ nodes: z.array(node).min(1) }).optional(),
  /** User name when not in `url` (Sentinel and Cluster nodes). Default: none. */
  username: z.string().optional(),
  /** Password when not in `url` (Sentinel and Cluster nodes). Default: none. */
  password: z.string().optional(),
  /**
   * Connections in the pool; each auto-pipelines, a command goes to the least busy one. Default 2:
   * more connections only add syscalls per command on a nearby Redis (see the Redis pool section of
   * bench/RESULTS.md), and 2 keeps one large value or a long SCAN from stalling every other hit.
   * Env `RAG_REDIS_MAX_CONNECTIONS`.
   */
  maxConnections: z.number().int().min(1).max(256).default(2),
  /** Budget to open a connection. Default "1s". */
  connectTimeout: positiveDurationSchema.default("1s"),
  /** Budget of one command; a timed-out read is retried (see `retries`). Default "250ms". */
  commandTimeout: positiveDurationSchema.default("250ms"),
  /** A socket silent this long while commands wait is dropped and reconnected. Default "5s". Env `RAG_SOCKET_TIMEOUT` (seconds). */
  socketTimeout: positiveDurationSchema.default("5s"),
  /** Retries of a read that timed out, on the least busy connection. A change is not retried: Redis may still apply the one that timed out, and a retry could land after a newer change. Default 1. */
  retries: z.number().int().min(0).max(10).default(1),
  /** Commands one connection may have in flight; past it a command waits in the pool's queue. Default 512. */
  maxInFlightPerConnection: z.number().int().positive().default(512),
  /** Every connection full for this long → `exhausted` in stats and a "pool-exhausted" event. Default "100ms". */
  exhaustedAfter: durationSchema.default("100ms"),
  /** Seconds between health checks (PING on each connection); 0 turns them off. Default 30. Env `RAG_HEALTH_CHECK_INTERVAL`. */
  healthCheckInterval: z.number().nonnegative().default(30),
  /** Prepended to every Redis key and to the invalidation channel. Default "ragcache:". */
  prefix: z.string().default("ragcache:"),
  /** Failures among the last 20 commands that open the breaker (a lost connection opens it at once). Default 5. */
  failureThreshold: z.number().int().min(1).max(20).default(5),
  /** While the breaker is open, how often Redis is probed. Default "500ms". */
  probeInterval: positiveDurationSchema.default("500ms"),
  /** Changes journaled while degraded; past it, recovery clears this prefix in Redis instead. Default 10 000. */
  maxJournal: z.number().int().positive().default(10_000),
  /** Bytes of the journal (each change carries its entry); past it, the same as past `maxJournal`. Default 256 MiB. */
  maxJournalBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  /**
   * The folder of the journal: every change made while Redis is unreachable, replayed into Redis on
   * recovery or by the next process that starts with this folder. One process per folder (a lock file
   * refuses a second). Default: the fallback's `dir` (a `file()` fallback), else the journal is kept in
   * memory and dies with the process.
   */
  journalDir: z.string().min(1).optional(),
  /**
   * "always": a change made during an outage is fsynced to the journal before it is acknowledged
   * (survives a power loss; concurrent writes share one fsync). "never": written, left to the OS to
   * flush (survives the process being killed, not the machine losing power). Default "always".
   */
  journalSync: z.enum(["always", "never"]).default("always"),
  /** Publish invalidations on a Redis channel so other processes evict their faster layers. Default true. */
  invalidationBus: z.boolean().default(true),
  /**
   * `getOrSet` runs a key's loader once among every process sharing this Redis: one takes the key's
   * lock (a lease), the others wait for its outcome on pub/sub and read its value. `false` leaves
   * single flight per process. Default true.
   */
  singleFlight: z.boolean().default(true),
  /**
   * How long the lock lasts unless renewed; the holder renews it every third of it while its loader
   * runs, and when the holder dies a waiter takes over once it expires. Default "5s".
   */
  lockLease: positiveDurationSchema.default("5s"),
  /** Longest a process waits for another one's loader; past it, it runs its own. Default "30s". */
  lockWait: positiveDurationSchema.default("30s"),
  /**
   * When the lock holder's loader fails: the waiting processes throw its error ("throw", as
   * `E_LOADER_FAILED`) or run their own loader ("load"). Default "throw".
   */
  onHolderError: z.enum(["throw", "load"]).default("throw"),
  /** Budget of one layer call in the chain, in ms. Default: the chain's `layerTimeout`. */
  timeout: z.number().positive().optional(),
});

const oneTopology = {
  check: (o: { url?: string; sentinel?: object; cluster?: object }) => [o.url, o.sentinel, o.cluster].filter(Boolean).length <= 1,
  message: "give only one of url, sentinel, cluster",
};

/** Options as plain config; `fallback` is a nested plugin reference (`{ "use": "file", … }`). */
export const configSchema = jsonOptions
  .extend({ fallback: pluginRefSchema.optional() })
  .refine(oneTopology.check, { message: oneTopology.message });

/**
 * Every option of `redis()`: the config's, with a built `fallback` layer and a `log` sink that only
 * code can give. The one source of their types, defaults and validation.
 */
const optionsSchema = jsonOptions
  .extend({
    /**
     * Where reads and writes go while Redis is unreachable (usually `file()`). It is emptied whenever
     * Redis has caught up (at start, after recovery), so it only ever holds what was written during an
     * outage. Default: none (misses + error events).
     */
    fallback: layerSchema.optional(),
    /** Where plain degraded/recovered lines go. Default none: the chain's logger reports those events as JSON lines. */
    log: functionSchema<(line: string) => void>().default(() => () => {}),
  })
  .refine(oneTopology.check, { message: oneTopology.message });

/**
 * What `redis()` takes: where Redis is (one of `url`, `sentinel`, `cluster`), the pool, the breaker
 * and the fallback.
 * @example
 * ```ts
 * redis({ sentinel: { sentinels: [{ host: "10.0.0.5", port: 26379 }], name: "mymaster" }, prefix: "rag:" });
 * ```
 */
export type RedisLayerOptions = z.input<typeof optionsSchema>;

/** Env vars that set options besides the generic `RAG_REDIS_<OPTION>`; `RAG_SOCKET_TIMEOUT=5.0` is seconds. */
export const envAliases: Record<string, EnvAlias> = {
  RAG_HEALTH_CHECK_INTERVAL: "healthCheckInterval",
  RAG_SOCKET_TIMEOUT: { option: "socketTimeout", unit: "s" },
};

export type Settings = ReturnType<typeof resolveOptions>;

/** Options checked, with defaults applied and durations in ms; throws `E_CONFIG_INVALID` listing every problem. */
export function resolveOptions(options: RedisLayerOptions) {
  const parsed = parseOptions(optionsSchema, options, "redis");
  return {
    ...parsed,
    url: parsed.url ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    connectTimeoutMs: toMs(parsed.connectTimeout, "connectTimeout"),
    commandTimeoutMs: toMs(parsed.commandTimeout, "commandTimeout"),
    socketTimeoutMs: toMs(parsed.socketTimeout, "socketTimeout"),
    exhaustedAfterMs: toMs(parsed.exhaustedAfter, "exhaustedAfter"),
    healthCheckMs: parsed.healthCheckInterval * 1000,
    probeIntervalMs: toMs(parsed.probeInterval, "probeInterval"),
    lockLeaseMs: toMs(parsed.lockLease, "lockLease"),
    lockWaitMs: toMs(parsed.lockWait, "lockWait"),
    journalDir: parsed.journalDir ?? dirOf(parsed.fallback),
  };
}

/** The folder a fallback keeps its files in, when it has one (`file()` exposes `dir`). */
function dirOf(fallback: unknown): string | undefined {
  const dir = (fallback as { dir?: unknown } | undefined)?.dir;
  return typeof dir === "string" ? dir : undefined;
}
