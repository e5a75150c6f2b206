import type { Client } from "./connect.ts";
import type { Pool } from "./pool.ts";

/**
 * SET the lock NX PX: {1, whether the entry exists} when taken, else {0, the holder's remaining ms}.
 * KEYS = lock, entry; ARGV = token, lease ms.
 */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, redis.call('EXISTS', KEYS[2])} end
return {0, redis.call('PTTL', KEYS[1])}`;

/** Lengthen the lease while it is still ours: 1, else 0. KEYS = lock; ARGV = token, lease ms. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;

/**
 * Drop the lock and tell the waiters, only while it is still ours (a holder whose lease expired
 * must neither free a successor's lock nor wake its waiters): 1, else 0.
 * KEYS = lock; ARGV = token, channel, message.
 */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

type Locking = Client & {
  ragAcquire(lock: string, entry: string, token: string, leaseMs: number): Promise<[0 | 1, number]>;
  ragRenew(lock: string, token: string, leaseMs: number): Promise<number>;
  ragRelease(lock: string, token: string, channel: string, message: string): Promise<number>;
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

/** What an attempt to take a lock found: taken (and whether the entry exists meanwhile), or held for `holderMs` more. */
export type Attempt = { taken: true; entryExists: boolean } | { taken: false; holderMs: number };

/** The lease commands on the pool: acquire, renew, release. */
export function leaseCommands(pool: Pool, leaseMs: number) {
  for (const client of pool.clients) {
    client.defineCommand("ragAcquire", { numberOfKeys: 2, lua: ACQUIRE });
    client.defineCommand("ragRenew", { numberOfKeys: 1, lua: RENEW });
    client.defineCommand("ragRelease", { numberOfKeys: 1, lua: RELEASE });
  }
  const run = <T>(command: (client: Locking) => Promise<T>) => pool.run((client) => command(client as Locking));
  return {
    acquire: (lock: string, entry: string, token: string): Promise<Attempt> =>
      run((client) => client.ragAcquire(lock, entry, token, leaseMs)).then(([taken, found]) =>
        taken ? { taken: true, entryExists: found === 1 } : { taken: false, holderMs: found },
      ),
    renew: (lock: string, token: string) => run((client) => client.ragRenew(lock, token, leaseMs)),
    release: (lock: string, token: string, channel: string, message: string) =>
      run((client) => client.ragRelease(lock, token, channel, message)),
  };
}

export type LeaseCommands = ReturnType<typeof leaseCommands>;

/** A lease this process holds on one entry: its writes of the entry land only while the lock holds `token`. */
export interface Fence {
  readonly lock: string;
  readonly token: string;
  /** The write was refused: the lease had expired (another process may have taken over). */
  lost(): void;
}
