import type { Client } from "./connect.ts";
import type { Pool } from "./pool.ts";

/**
 * SET the lock NX PX: {1, whether the entry exists} when taken, else {0, the holder's remaining ms},
 * and then the waiters' flag is raised (outliving the lock by a second), so that the release
 * publishes. KEYS = lock, entry, waiters' flag; ARGV = token, lease ms.
 */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, redis.call('EXISTS', KEYS[2])} end
local ttl = redis.call('PTTL', KEYS[1])
redis.call('SET', KEYS[3], '1', 'PX', math.max(ttl, 0) + 1000)
return {0, ttl}`;

/** Lengthen the lease (and the waiters' flag) while it is still ours: 1, else 0. KEYS = lock, flag; ARGV = token, lease ms. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[2], ARGV[2] + 1000)
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;

/**
 * Lua that drops the lock and, when a process waits, tells the waiters; only while the lock is still
 * ours (a holder whose lease expired must neither free a successor's lock nor wake its waiters), else
 * it returns 0. KEYS = lock, waiters' flag; ARGV = token, channel, message. The fenced write of the
 * load's value starts with it, so that storing the value and releasing the lock are one command.
 */
export const RELEASE_IF_HELD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('DEL', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end`;

const RELEASE = `${RELEASE_IF_HELD}
return 1`;

type Locking = Client & {
  ragAcquire(lock: string, entry: string, waiters: string, token: string, leaseMs: number): Promise<[0 | 1, number]>;
  ragRenew(lock: string, waiters: string, token: string, leaseMs: number): Promise<number>;
  ragRelease(lock: string, waiters: string, token: string, channel: string, message: string): Promise<number>;
};

/**
 * The lock of an entry key, in the entry's hash slot (a cluster runs a script only on keys of one
 * slot): Redis hashes only a key's first non-empty `{…}`, so the lock reuses the entry's tag, or
 * makes the whole entry key its tag. (A prefix with a `}` but no `{…}` tag defeats both: a cluster then
 * refuses the lock with CROSSSLOT, and the process loads alone.)
 * @example
 * ```ts
 * lockKeyOf("ragcache:retrieval:9f…"); // "{ragcache:retrieval:9f…}#lock"
 * lockKeyOf("{rag}:retrieval:9f…"); // "{rag}#lock:{rag}:retrieval:9f…"
 * ```
 */
export function lockKeyOf(entryKey: string): string {
  const open = entryKey.indexOf("{");
  const close = open < 0 ? -1 : entryKey.indexOf("}", open + 1);
  if (close > open + 1) return `${entryKey.slice(open, close + 1)}#lock:${entryKey}`;
  return `{${entryKey}}#lock`;
}

/** The flag a waiting process raises beside the lock (in its slot), so that only a release someone waits for publishes. */
export const waitersOf = (lock: string) => `${lock}:waiters`;

/** What an attempt to take a lock found: taken (and whether the entry exists meanwhile), or held for `holderMs` more. */
export type Attempt = { taken: true; entryExists: boolean } | { taken: false; holderMs: number };

/**
 * The lease commands on the pool: acquire, renew, release.
 * @example
 * ```ts
 * const lease = leaseCommands(pool, 5_000);
 * const attempt = await lease.acquire(lockKeyOf(entryKey), entryKey, crypto.randomUUID());
 * ```
 */
export function leaseCommands(pool: Pool, leaseMs: number) {
  for (const client of pool.clients) {
    client.defineCommand("ragAcquire", { numberOfKeys: 3, lua: ACQUIRE });
    client.defineCommand("ragRenew", { numberOfKeys: 2, lua: RENEW });
    client.defineCommand("ragRelease", { numberOfKeys: 2, lua: RELEASE });
  }
  const run = <T>(command: (client: Locking) => Promise<T>) => pool.write((client) => command(client as Locking));
  return {
    acquire: (lock: string, entry: string, token: string): Promise<Attempt> =>
      run((client) => client.ragAcquire(lock, entry, waitersOf(lock), token, leaseMs)).then(([taken, found]) =>
        taken ? { taken: true, entryExists: found === 1 } : { taken: false, holderMs: found },
      ),
    renew: (lock: string, token: string) => run((client) => client.ragRenew(lock, waitersOf(lock), token, leaseMs)),
    release: (lock: string, token: string, channel: string, message: string) =>
      run((client) => client.ragRelease(lock, waitersOf(lock), token, channel, message)),
  };
}

export type LeaseCommands = ReturnType<typeof leaseCommands>;

/**
 * A lease this process holds on one entry: its write of the entry lands only while the lock holds
 * `token`, and releases the lock with the `done` message on `channel` in the same command.
 */
export interface Fence {
  readonly lock: string;
  readonly token: string;
  readonly channel: string;
  readonly done: string;
  /** The write was refused: the lease had expired (another process may have taken over). */
  lost(): void;
  /** The write landed and released the lock: the waiters are on their way. */
  released(): void;
}
