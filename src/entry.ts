import { toMs } from "./duration.ts";
import { RagCacheError } from "./errors.ts";
import { deepFreeze } from "./value.ts";
import type { CacheEntry, Duration } from "./types.ts";

/** UTF-8 length of a string without allocating its encoding (native: a loop in JS costs a microsecond per kilobyte). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * JSON size of a value in bytes; refuses what JSON would silently drop or cannot encode.
 * @example
 * ```ts
 * serializedSize({ docs: ["é"] }); // 15
 * ```
 */
export function serializedSize(value: unknown): number {
  return utf8Length(toJson(value));
}

/**
 * The JSON of each entry the chain created, so remote layers reuse it instead of serializing the
 * value a second time. Keyed by the entry object, which nobody mutates after creation (a user may
 * mutate their value and set it again, but that makes a new entry).
 */
const jsonOfEntry = new WeakMap<CacheEntry, string>();

/**
 * The entry's value as JSON: measured once by the chain, computed here for entries from elsewhere.
 * @example
 * ```ts
 * writeFileSync(path, valueJson(entry)); // the JSON the chain already made, not serialized again
 * ```
 */
export function valueJson(entry: CacheEntry): string {
  return jsonOfEntry.get(entry) ?? toJson(entry.value);
}

/** Drops the JSON kept for a chain-made entry once every layer has stored it (a later `valueJson` computes it again). */
export function forgetJson(entry: CacheEntry): void {
  jsonOfEntry.delete(entry);
}

function toJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    const why = error instanceof RangeError ? "it is nested too deeply" : (error as Error).message;
    throw new RagCacheError("E_NOT_SERIALIZABLE", `the value cannot be serialized as JSON: ${why}`, { cause: error });
  }
  if (json === undefined)
    throw new RagCacheError("E_NOT_SERIALIZABLE", `a value of type ${typeof value} cannot be cached (not JSON)`);
  return json;
}

/** The longest finite TTL any layer stores exactly (Redis PX, epoch-ms dates): 1000 years. */
export const TTL_CEILING_MS = 1000 * 365 * 86_400_000;

/** `maxTtl` in ms, checked: positive, and finite up to the ceiling or `Infinity`. */
export function maxTtlMs(maxTtl: Duration): number {
  const ms = toMs(maxTtl, "maxTtl");
  if (ms <= 0 || (ms !== Infinity && ms > TTL_CEILING_MS)) {
    throw new RagCacheError(
      "E_CONFIG_INVALID",
      `maxTtl must be longer than 0 and at most 1000 years (${TTL_CEILING_MS} ms) or Infinity, got ${maxTtl}`,
    );
  }
  return ms;
}

/** A ttl or grace in ms; past `maxTtl` (or, when finite, past the ceiling) it is an `E_INVALID_TTL`. */
export function boundedTtl(duration: Duration, what: string, maxTtl: number): number {
  const ms = toMs(duration, what);
  if (ms > maxTtl || (ms !== Infinity && ms > TTL_CEILING_MS)) {
    throw new RagCacheError(
      "E_INVALID_TTL",
      `${what} ${duration} is above maxTtl (${maxTtl} ms); raise maxTtl (env RAG_MAX_TTL) to allow it`,
      {
        details: { limit: "maxTtl", max: maxTtl, actual: ms },
      },
    );
  }
  return ms;
}

export interface EntryOptions {
  /** The digest of the key the entry answers. */
  digest: string;
  ttl: Duration;
  grace?: Duration;
  tags?: readonly string[];
  maxValueBytes: number;
  /** Longest ttl and grace, in ms. */
  maxTtl: number;
  /** Store a frozen copy of the value as JSON gives it back (every tier then serves the same), not the caller's object. */
  freeze: boolean;
  now: number;
}

let lastStamp = 0;

/**
 * A write stamp later than every one this process made before: wall-clock ms × 1000 plus a sequence
 * within the millisecond, so stamps of different processes compare by time too (to the clocks' skew).
 * Stays a safe integer until the year 2255.
 * @example
 * ```ts
 * await layer.set(key, { ...fields, digest: key.digest, stamp: nextStamp() });
 * ```
 */
export function nextStamp(): number {
  lastStamp = Math.max(lastStamp + 1, Date.now() * 1000);
  return lastStamp;
}

/**
 * Whether `candidate` was written after `current` (an absent `current` is older than anything).
 * The one rule every path that replaces an entry follows: never an older write over a newer one.
 * @example
 * ```ts
 * if (isNewer(incoming, stored)) map.set(key.id, incoming);
 * ```
 */
export function isNewer(candidate: { readonly stamp: number }, current: { readonly stamp: number } | undefined): boolean {
  return current === undefined || candidate.stamp > current.stamp;
}

/**
 * Whether a back-fill (`ifNewer`) must leave the stored entry alone: the stored entry answers the same
 * key (same digest) and was written at the same time or later. An equal stamp is the same write, so
 * skipping it loses nothing; an entry under the same id with another digest answers a different key
 * (it would fail the integrity check), so the back-fill replaces it whatever its stamp.
 * @example
 * ```ts
 * if (!backfillLoses(map.get(key.id), incoming)) map.set(key.id, incoming);
 * ```
 */
export function backfillLoses(
  stored: { readonly stamp: number; readonly digest: string } | undefined,
  incoming: { readonly stamp: number; readonly digest: string },
): boolean {
  return stored !== undefined && stored.digest === incoming.digest && !isNewer(incoming, stored);
}

export function createEntry<V>(value: V, options: EntryOptions): CacheEntry<V> {
  if (!options.digest)
    throw new RagCacheError(
      "E_INVALID_KEY",
      "a key without a digest (from keyFromId) deletes and invalidates but cannot store an entry; build it with cache.key or createKey",
    );
  const json = toJson(value);
  const size = utf8Length(json);
  if (size > options.maxValueBytes) {
    throw new RagCacheError("E_VALUE_TOO_LARGE", `the value is ${size} bytes, above maxValueBytes ${options.maxValueBytes}`, {
      details: { limit: "maxValueBytes", max: options.maxValueBytes, actual: size },
    });
  }
  const expiresAt = options.now + boundedTtl(options.ttl, "ttl", options.maxTtl);
  const grace = options.grace === undefined ? 0 : boundedTtl(options.grace, "grace", options.maxTtl);
  const stored: V = options.freeze ? deepFreeze(JSON.parse(json)) : value;
  const entry: CacheEntry<V> = {
    value: stored,
    expiresAt,
    createdAt: options.now,
    stamp: nextStamp(),
    digest: options.digest,
    size,
  };
  if (grace > 0) entry.graceUntil = expiresAt + grace;
  // A frozen copy: a caller reusing its array must not change which invalidations reach the entry.
  if (options.tags?.length) entry.tags = Object.freeze([...validTags(options.tags)]);
  jsonOfEntry.set(entry, json);
  return entry;
}

/**
 * The tags, checked: an array of non-empty strings of at most 256 characters, else `E_INVALID_KEY`.
 * @example
 * ```ts
 * validTags(["doc:17"]); // ["doc:17"]; validTags("doc:17") throws
 * ```
 */
export function validTags(tags: readonly string[]): readonly string[] {
  if (!Array.isArray(tags)) throw new RagCacheError("E_INVALID_KEY", `tags must be an array of strings, got ${typeof tags}`);
  for (const tag of tags) {
    if (typeof tag !== "string" || tag.length === 0 || tag.length > 256) {
      throw new RagCacheError(
        "E_INVALID_KEY",
        `tags must be non-empty strings of at most 256 characters, got ${JSON.stringify(tag)}`,
      );
    }
  }
  return tags;
}

/**
 * Until when a layer must keep the entry: the end of grace, else expiry.
 * @example
 * ```ts
 * if (keepUntil(entry) <= context.now()) return; // nothing left to store
 * ```
 */
export function keepUntil(entry: CacheEntry): number {
  return entry.graceUntil ?? entry.expiresAt;
}
