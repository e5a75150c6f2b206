import { toMs } from "./duration.ts";
import { RagCacheError } from "./errors.ts";
import type { CacheEntry, Duration } from "./types.ts";

/** UTF-8 length of a string without allocating its encoding. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++; // a surrogate pair is 4 bytes: 2 units counted + 2 here
    if (c >= 0x80) bytes += c >= 0x800 ? 2 : 1;
  }
  return bytes;
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

function toJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new RagCacheError("E_NOT_SERIALIZABLE", `the value cannot be serialized as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (json === undefined)
    throw new RagCacheError("E_NOT_SERIALIZABLE", `a value of type ${typeof value} cannot be cached (not JSON)`);
  return json;
}

export interface EntryOptions {
  ttl: Duration;
  grace?: Duration;
  tags?: readonly string[];
  maxValueBytes: number;
  now: number;
}

export function createEntry<V>(value: V, options: EntryOptions): CacheEntry<V> {
  const json = toJson(value);
  const size = utf8Length(json);
  if (size > options.maxValueBytes) {
    throw new RagCacheError("E_VALUE_TOO_LARGE", `the value is ${size} bytes, above maxValueBytes ${options.maxValueBytes}`, {
      details: { limit: "maxValueBytes", max: options.maxValueBytes, actual: size },
    });
  }
  const ttl = toMs(options.ttl, "ttl");
  const expiresAt = options.now + ttl;
  const entry: CacheEntry<V> = { value, expiresAt, createdAt: options.now, size };
  if (options.grace !== undefined && toMs(options.grace, "grace") > 0)
    entry.graceUntil = expiresAt + toMs(options.grace, "grace");
  if (options.tags?.length) entry.tags = validTags(options.tags);
  jsonOfEntry.set(entry, json);
  return entry;
}

function validTags(tags: readonly string[]): readonly string[] {
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
