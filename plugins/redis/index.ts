import {
  keepUntil,
  RagCacheError,
  type CacheEntry,
  type CacheKey,
  type CacheLayer,
  type LayerContext,
  type LayerHealth,
  type LayerHit,
  type MaybePromise,
} from "../../src/index.ts";
import { toError } from "../../src/index.ts";
import { Breaker } from "./breaker.ts";
import { invalidationBus } from "./bus.ts";
import { connect, isCommandError } from "./connect.ts";
import { circuitOpen, WriteRouter } from "./degradation.ts";
import { distributedFlights } from "./flight.ts";
import { Journal } from "./journal.ts";
import { fileLog, memoryLog } from "./journal-log.ts";
import { leaseCommands } from "./lock.ts";
import { resolveOptions, type RedisLayerOptions } from "./options.ts";
import { Pool } from "./pool.ts";
import { redisStore } from "./store.ts";

export { configSchema, envAliases, type RedisLayerOptions, type RedisNode } from "./options.ts";

declare module "../../src/types.ts" {
  interface CacheEvents {
    /** Every pooled connection stayed full for `exhaustedAfter`. */
    "pool-exhausted": { layer: string; connections: number; queued: number; ms: number };
  }
}

/** The redis layer: a `CacheLayer` whose `stats()` also reports its state and its connection pool. */
export type RedisLayer = CacheLayer & {
  stats(): Record<string, unknown> & {
    state: "up" | "degraded";
    connections: number;
    open: number;
    busy: number;
    inFlight: number;
    queued: number;
    exhausted: boolean;
  };
};

/**
 * The L2 layer: Redis through a pool of auto-pipelined connections (standalone, Sentinel or Cluster),
 * behind a circuit breaker that moves reads and writes to `fallback` while Redis is unreachable and
 * journals them on disk beside it, replayed into Redis on recovery or by the next process to start
 * there, with a pub/sub bus that keeps other processes' faster layers coherent.
 * @example
 * ```ts
 * const l2 = redis({ url: "redis://localhost:6379", maxConnections: 2, fallback: file({ dir: ".cache" }) });
 * const cache = createCache({ layers: [memory(), l2] });
 * ```
 */
export function redis(options: RedisLayerOptions = {}): RedisLayer {
  const settings = resolveOptions(options);
  const { name, log, fallback } = settings;
  // First: a folder another process holds is refused before any connection is opened.
  const journal = new Journal(settings.journalDir ? fileLog(settings.journalDir, settings.journalSync, name) : memoryLog(), {
    changes: settings.maxJournal,
    bytes: settings.maxJournalBytes,
  });
  /** A journal left by an earlier process, replayed before any read reaches Redis. */
  let replaying: Promise<void> | undefined;
  let context: LayerContext | undefined;
  const now = () => context?.now() ?? Date.now();
  const emit: LayerContext["emit"] = (event, payload) => context?.emit(event, payload);

  const pool = new Pool({
    clients: Array.from({ length: settings.maxConnections }, () => connect(settings)),
    maxInFlightPerConnection: settings.maxInFlightPerConnection,
    exhaustedAfterMs: settings.exhaustedAfterMs,
    connectTimeoutMs: settings.connectTimeoutMs,
    retries: settings.retries,
    onExhausted: (info) => emit("pool-exhausted", { layer: name, ...info }),
  });
  const flights = settings.singleFlight
    ? distributedFlights({
        name,
        prefix: settings.prefix,
        lease: leaseCommands(pool, settings.lockLeaseMs),
        leaseMs: settings.lockLeaseMs,
        waitMs: settings.lockWaitMs,
        commandTimeoutMs: settings.commandTimeoutMs,
        onHolderError: settings.onHolderError,
        subscriber: () => connect(settings, "subscriber"),
        solitary: () => bus?.alone() ?? false,
        unreachable: () => breaker.isOpen,
        failed(error, key) {
          breaker.failure(error);
          emit("error", { layer: name, operation: "lock", error, key });
        },
        fenced: (key) => context?.track(context.invalidateAbove({ type: "delete", ids: [key.id] })),
        track: (work) => context?.track(work),
      })
    : undefined;
  const store = redisStore(pool, settings.prefix, settings.cluster !== undefined, name, flights?.fenceOf);
  let remoteInvalidations = 0;
  const bus = settings.invalidationBus
    ? invalidationBus({
        subscriber: connect(settings, "subscriber"),
        channel: `${settings.prefix}#invalidate`,
        publish: store.publish,
        presence: settings.cluster ? undefined : { subscribers: store.subscribers, announce: store.announce },
        onRemote: (invalidation) => {
          remoteInvalidations++;
          context?.track(context.invalidateAbove(invalidation));
        },
        onResync: () => context?.track(context.invalidateAbove({ type: "clear" })),
      })
    : undefined;

  const breaker: Breaker = new Breaker({
    failureThreshold: settings.failureThreshold,
    probeIntervalMs: settings.probeIntervalMs,
    probe: () => pool.ping(),
    recover: (close): Promise<void> => writes.recover(close),
    onOpen(reason) {
      log(
        `ragcache: layer "${name}" degraded: ${reason}; ${fallback ? `serving from "${fallback.name}"` : "every call is a miss"} until Redis answers again`,
      );
      emit("degraded", { layer: name, reason });
    },
    onClose(downMs) {
      log(`ragcache: layer "${name}" recovered after ${downMs} ms; changes made meanwhile are reconciled`);
      emit("recovered", { layer: name, downMs });
    },
  });

  const writes: WriteRouter = new WriteRouter({
    name,
    breaker,
    fallback,
    store,
    journal,
    now,
    emit,
    publish: bus?.publish,
    track: (work) => context?.track(work),
  });

  const healthTimer =
    settings.healthCheckMs > 0 ? setInterval(() => context?.track(checkHealth()), settings.healthCheckMs) : undefined;
  healthTimer?.unref();

  async function checkHealth(): Promise<LayerHealth> {
    if (breaker.isOpen) return down("Redis is unreachable");
    try {
      const pingMs = await pool.ping();
      breaker.success();
      return { state: "up", pingMs: Math.round(pingMs * 100) / 100, ...pool.stats() };
    } catch (error) {
      breaker.failure(toError(error));
      return down(`health check failed: ${toError(error).message}`);
    }
  }

  function down(why: string): LayerHealth {
    return fallback ? { state: "degraded", detail: `${why}; serving from "${fallback.name}"` } : { state: "down", detail: why };
  }

  function readFailed(error: unknown, key: CacheKey): MaybePromise<LayerHit | undefined> {
    if (error instanceof RagCacheError || isCommandError(toError(error))) throw error;
    breaker.failure(toError(error));
    if (!fallback) throw error;
    emit("error", { layer: name, operation: "get", error: toError(error), key });
    return fallback.get(key);
  }

  function deleteKey(key: CacheKey): Promise<void> {
    return writes.route({ operation: "delete", key });
  }

  function read(key: CacheKey): MaybePromise<LayerHit | undefined> {
    if (replaying) return replaying.then(() => read(key));
    if (breaker.isOpen) {
      if (!fallback) throw circuitOpen(name, "get");
      return fallback.get(key);
    }
    const seen = remoteInvalidations;
    return store.get(key.id).then(
      (raw) => {
        breaker.success();
        // An invalidation that overtook this read may concern the value it carries; the chain would
        // back-fill that value into the layers the invalidation just cleared, so read it again.
        if (seen !== remoteInvalidations) return store.get(key.id).then(store.decode);
        return store.decode(raw);
      },
      (error) => readFailed(error, key),
    );
  }

  return {
    name,
    persistent: true,
    timeout: settings.timeout,
    attach(layerContext) {
      context = layerContext;
      fallback?.attach?.({ ...layerContext, invalidateAbove: async () => {} });
      if (!fallback && journal.size === 0) return;
      // Writes wait for the start (a replay, or emptying the fallback of what no journal line covers); reads
      // too when a journal was left behind, so that none reaches Redis before it has caught up.
      const left = journal.size > 0;
      const started = writes
        .recover(() => {})
        .catch((error: unknown) => {
          if (left) breaker.open(`replaying the journal left by an earlier process failed: ${toError(error).message}`);
        });
      if (left) replaying = started.finally(() => (replaying = undefined));
      layerContext.track(started);
    },
    get: read,
    set(key, entry: CacheEntry, options) {
      const keep = keepUntil(entry) - now();
      if (keep <= 0) return deleteKey(key);
      const px = Number.isFinite(keep) ? Math.ceil(keep) : 0;
      return writes.route({ operation: "set", key, entry, px, ifNewer: options?.ifNewer });
    },
    delete: deleteKey,
    clear: (namespace) => writes.route({ operation: "clear", namespace }),
    invalidateTags: (tags) => writes.route({ operation: "invalidateTags", tags }),
    ...(flights ? { coordinate: flights.coordinate } : {}),
    health: checkHealth,
    stats() {
      return {
        state: breaker.isOpen ? "degraded" : "up",
        ...pool.stats(),
        pendingReconcile: journal.size,
        ...(bus ? { busPeers: bus.peers() ?? null } : {}),
        healthCheckInterval: settings.healthCheckMs / 1000,
        ...(fallback ? { fallback: fallback.stats?.() ?? {} } : {}),
        ...(flights ? { flights: flights.stats() } : {}),
      };
    },
    async close() {
      breaker.stop();
      clearInterval(healthTimer);
      await breaker.probing;
      // Disconnected first: a SUBSCRIBE still waiting for a Redis that never answered then settles at once.
      bus?.close();
      flights?.close();
      await bus?.subscribed;
      await pool.close();
      await fallback?.close?.();
      await journal.close();
    },
  };
}
