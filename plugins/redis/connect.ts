import type { ClusterOptions, RedisOptions } from "ioredis";
import { importPeer } from "../../src/index.ts";
import type { Settings } from "./options.ts";

/** ioredis is an optional peer: loaded here, once, so a missing install is a clear error at import. */
export const { Cluster, Redis } = await importPeer("ioredis", "ragcache/redis", () => import("ioredis"));

export type Client = InstanceType<typeof Redis> | InstanceType<typeof Cluster>;

/** Reconnect quickly but not in a tight loop: the breaker, not ioredis, decides when Redis is usable again. */
const backoff = (attempt: number) => Math.min(50 * attempt, 1_000);

/**
 * One connection (or cluster client) as the pool wants it: auto-pipelined, failing fast while
 * disconnected (no offline queue, no per-request retries), so a dead Redis is noticed by the breaker
 * in one round trip instead of after ioredis' own retries.
 */
export function connect(settings: Settings, role: "command" | "subscriber" = "command"): Client {
  const common: RedisOptions = {
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: role === "command" ? settings.commandTimeoutMs : undefined,
    socketTimeout: settings.socketTimeoutMs,
    enableAutoPipelining: role === "command",
    enableOfflineQueue: role === "subscriber",
    maxRetriesPerRequest: role === "command" ? 0 : null,
    retryStrategy: backoff,
    username: settings.username,
    password: settings.password,
    connectionName: `ragcache-${role}`,
  };
  if (settings.cluster) {
    const options: ClusterOptions = {
      redisOptions: common,
      enableAutoPipelining: common.enableAutoPipelining,
      enableOfflineQueue: common.enableOfflineQueue,
      clusterRetryStrategy: backoff,
    };
    return new Cluster(settings.cluster.nodes, options);
  }
  if (settings.sentinel) {
    return new Redis({
      ...common,
      sentinels: settings.sentinel.sentinels,
      name: settings.sentinel.name,
      sentinelPassword: settings.sentinel.password,
      sentinelRetryStrategy: backoff,
    });
  }
  return new Redis(settings.url, common);
}

/** Errors that mean the connection itself is gone, not that one command failed. */
export function isConnectionError(error: Error): boolean {
  const code = (error as { code?: string }).code;
  if (code && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ECONNABORTED)$/.test(code)) return true;
  return /Connection is closed|Stream isn't writeable|connect ETIMEDOUT|ECONNREFUSED|ECONNRESET|All sentinels are unreachable|None of the sentinels|Failed to refresh slots cache|Cluster isn't ready|max retries/i.test(
    error.message,
  );
}

/** Reply errors that mean Redis cannot serve anyone right now (loading, a read-only replica, auth, memory), not one bad command. */
const SERVER_STATE = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|NOAUTH|WRONGPASS|BUSY|MISCONF|OOM|TRYAGAIN|NOREPLICAS)\b/;

/** An error Redis replied to one command (a bad argument, a key of another type): Redis itself is fine. */
export function isCommandError(error: Error): boolean {
  return error.name === "ReplyError" && !SERVER_STATE.test(error.message);
}
