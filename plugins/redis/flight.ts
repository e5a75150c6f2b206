import { RagCacheError, toError, type CacheKey, type Flight, type LayerContext } from "../../src/index.ts";
import type { Client } from "./connect.ts";
import { lockKeyOf, type Attempt, type Fence, type LeaseCommands } from "./lock.ts";

/** How a holder's load ended, as published to the waiters: `{ k: entry id, s, e? }`. */
type Outcome =
  | { s: "done" }
  | { s: "empty" }
  | { s: "failed"; e: { name: string; message: string; code?: string } }
  | { s: "abandoned" }
  /** Not published: the subscription was lost, or the wait's timer fired. */
  | { s: "gone" }
  | { s: "timeout" };

/** Waking a waiter a little after the holder's lease ran out leaves the lock time to expire. */
const EXPIRY_MARGIN_MS = 20;
const MAX_ERROR_MESSAGE = 1_000;

export interface FlightConfig {
  name: string;
  prefix: string;
  lease: LeaseCommands;
  leaseMs: number;
  waitMs: number;
  /** Longest a lock command or the first subscription may take before this process loads alone. */
  commandTimeoutMs: number;
  onHolderError: "throw" | "load";
  /** A subscriber connection, made on the first load that needs one. */
  subscriber: () => Client;
  /** No other process is known to be present: the chain's own single flight suffices. */
  solitary: () => boolean;
  /** The breaker is open: Redis is known to be unreachable. */
  unreachable: () => boolean;
  /** A lock command failed for want of Redis (the breaker hears of it). */
  failed: (error: Error, key: CacheKey) => void;
  /** This process's write of `key` was refused by the fence: its faster layers must forget its value. */
  fenced: (key: CacheKey) => void;
  track: LayerContext["track"];
}

/**
 * Single flight across processes: the first to SET the key's lock NX PX loads (renewing the lease
 * while it runs, its writes of the key fenced by the token); the others wait for the outcome it
 * publishes when it releases the lock, then read its value. A holder that dies stops renewing: its
 * lock expires and the first waiter to take it over loads instead. Redis missing or slow at any step
 * means loading here at once, with per-process single flight (the chain's own); so does a process
 * that the invalidation bus knows to be alone on Redis, without any lock command.
 * @example
 * ```ts
 * const flights = distributedFlights({ name, prefix, lease: leaseCommands(pool, 5_000), leaseMs: 5_000, … });
 * return { …layer, coordinate: flights.coordinate }; // and redisStore(…, flights.fenceOf) fences the writes
 * ```
 */
export function distributedFlights(config: FlightConfig) {
  const channel = `${config.prefix}#flights`;
  const held = new Map<string, Fence>();
  const watchers = new Map<string, Set<(outcome: Outcome) => void>>();
  const counts = { led: 0, joined: 0, tookOver: 0, alone: 0, solitary: 0, timedOut: 0, fenced: 0 };
  let subscriber: Client | undefined;
  /** The first subscription's bounded wait: undefined before it, null after it. */
  let firstWait: Promise<boolean> | undefined | null;
  let listening = false;

  function wakeAll(outcome: Outcome): void {
    for (const wakers of watchers.values()) for (const wake of wakers) wake(outcome);
  }

  function onMessage(from: string, message: string): void {
    if (from !== channel || !watchers.size) return;
    let parsed: { k?: unknown } & Partial<Outcome>;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed.k !== "string") return;
    for (const wake of watchers.get(parsed.k) ?? []) wake(parsed as Outcome);
  }

  /**
   * Subscribes on first use. Answers whether outcomes can be heard now; only the first call waits for
   * the subscription (at most the command timeout), later ones answer at once.
   */
  function listen(): boolean | Promise<boolean> {
    if (listening || firstWait === null) return listening;
    if (firstWait) return firstWait;
    const client = (subscriber = config.subscriber());
    let connectedOnce = false;
    client.on("error", () => {});
    client.on("message", onMessage);
    client.on("close", () => {
      listening = false;
      wakeAll({ s: "gone" });
    });
    // After a reconnection the waiters fall back on their timers until the channel is heard again.
    client.on("ready", () => {
      if (connectedOnce)
        client.subscribe(channel).then(
          () => (listening = true),
          () => {},
        );
      connectedOnce = true;
    });
    const subscribed = client.subscribe(channel).then(() => (listening = true));
    subscribed.catch(() => {});
    firstWait = within(subscribed, config.commandTimeoutMs).then(
      () => listening,
      () => false,
    );
    firstWait.finally(() => (firstWait = null));
    return firstWait;
  }

  /** Registers for `id`'s next outcome before asking about the lock, so that none is missed in between. */
  function watch(id: string) {
    let wake!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (wake = resolve));
    const set = watchers.get(id) ?? new Set();
    watchers.set(id, set.add(wake));
    const cancel = () => {
      set.delete(wake);
      if (!set.size && watchers.get(id) === set) watchers.delete(id);
    };
    return {
      cancel,
      until(ms: number): Promise<Outcome> {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<Outcome>((resolve) => (timer = setTimeout(resolve, ms, { s: "timeout" })));
        return Promise.race([outcome, timeout]).finally(() => {
          clearTimeout(timer);
          cancel();
        });
      },
    };
  }

  function alone<V>(flight: Flight<V>): Promise<V> {
    counts.alone++;
    return flight.load();
  }

  /** Alone on the bus, the load runs at once, without an async frame of its own (the usual case of a lone process). */
  function coordinate<V>(key: CacheKey, flight: Flight<V>): Promise<V> {
    if (!config.solitary()) return acrossProcesses(key, flight);
    counts.solitary++;
    return flight.load();
  }

  async function acrossProcesses<V>(key: CacheKey, flight: Flight<V>): Promise<V> {
    if (config.unreachable() || !(await listen())) return alone(flight);
    const entry = config.prefix + key.id;
    const lock = lockKeyOf(entry);
    const token = crypto.randomUUID();
    const deadline = performance.now() + config.waitMs;
    let waited = false;
    for (;;) {
      if (config.unreachable()) return alone(flight);
      const watcher = watch(key.id);
      let attempt: Attempt;
      try {
        attempt = await acquire(key, lock, entry, token);
      } catch (error) {
        watcher.cancel();
        config.failed(toError(error), key);
        return alone(flight);
      }
      if (attempt.taken) {
        watcher.cancel();
        counts[waited ? "tookOver" : "led"]++;
        return lead(key, lock, token, flight, attempt.entryExists);
      }
      const { holderMs } = attempt;
      waited = true;
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        watcher.cancel();
        counts.timedOut++;
        return flight.load();
      }
      const outcome = await watcher.until(holderMs > 0 ? Math.min(remaining, holderMs + EXPIRY_MARGIN_MS) : remaining);
      if (outcome.s === "empty") return undefined as V;
      if (outcome.s === "failed") {
        if (config.onHolderError === "load") return flight.load();
        throw holderFailed(config.name, outcome.e);
      }
      if (outcome.s === "done") {
        const value = await flight.read();
        if (value !== undefined) {
          counts.joined++;
          return value;
        }
      }
      // Otherwise ask again: the lock expired (its holder died), was renewed, or its value is already gone.
    }
  }

  /** Bounded by the command timeout; a lock taken after that is released at once. */
  function acquire(key: CacheKey, lock: string, entry: string, token: string): Promise<Attempt> {
    const attempt = config.lease.acquire(lock, entry, token);
    return within(attempt, config.commandTimeoutMs).catch((error: unknown) => {
      attempt.then(
        (late) => late.taken && release(key, lock, token, { s: "abandoned" }),
        () => {},
      );
      throw error;
    });
  }

  async function lead<V>(key: CacheKey, lock: string, token: string, flight: Flight<V>, entryExists: boolean): Promise<V> {
    let released = false;
    const fence: Fence = {
      lock,
      token,
      channel,
      done: JSON.stringify({ k: key.id, s: "done" }),
      lost: () => lostLease(key),
      released: () => {
        released = true;
        held.delete(key.id);
      },
    };
    held.set(key.id, fence);
    const renewing = setInterval(() => config.lease.renew(lock, token).catch(() => {}), config.leaseMs / 3);
    let outcome: Outcome = { s: "done" };
    try {
      // Another process may have stored the value between this one's miss and its lock.
      const stored = flight.refresh || !entryExists ? undefined : await flight.read();
      if (stored !== undefined) return stored;
      const value = await flight.load();
      if (value === undefined) outcome = { s: "empty" };
      return value;
    } catch (error) {
      outcome = { s: "failed", e: describe(toError(error)) };
      throw error;
    } finally {
      clearInterval(renewing);
      if (held.get(key.id) === fence) held.delete(key.id);
      // Unless the value's write released the lock already (the usual end of a load).
      if (!released) release(key, lock, token, outcome);
    }
  }

  function release(key: CacheKey, lock: string, token: string, outcome: Outcome): void {
    const message = JSON.stringify({ k: key.id, ...outcome });
    config.track(config.lease.release(lock, token, channel, message).catch(() => {}));
  }

  function lostLease(key: CacheKey): void {
    counts.fenced++;
    config.fenced(key);
  }

  return {
    coordinate,
    /** The lease this process holds on an entry id while it loads it, for fenced writes. */
    fenceOf: (id: string): Fence | undefined => held.get(id),
    stats: () => ({ ...counts }),
    close(): void {
      wakeAll({ s: "gone" });
      subscriber?.disconnect();
    },
  };
}

export type DistributedFlights = ReturnType<typeof distributedFlights>;

function holderFailed(layer: string, error: { name?: unknown; message?: unknown; code?: unknown }): RagCacheError {
  return new RagCacheError("E_LOADER_FAILED", `the loader failed in the process that held the lock: ${String(error.message)}`, {
    source: layer,
    details: error,
  });
}

function describe(error: Error): { name: string; message: string; code?: string } {
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message.slice(0, MAX_ERROR_MESSAGE), ...(typeof code === "string" ? { code } : {}) };
}

/** The promise, or a rejection once it outlives `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
