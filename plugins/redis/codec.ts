import { RagCacheError, valueJson, type CacheEntry, type LayerHit } from "../../src/index.ts";

/**
 * Format: a JSON array `[3, value, expiresAt, createdAt, stamp, digest, graceUntil, tags]` (expiry `null` for never,
 * trailing absent fields dropped). JSON because the chain already admits only JSON values (it measured
 * their JSON size), Bun's JSON.parse/stringify are native code and need no dependency, and entries stay
 * readable with redis-cli. An array instead of an object saves the field names on every entry (3 %
 * of a 1 KB entry) at the same encode + decode cost (bench/redis-pool.ts, storage format table); the
 * leading number is the format version (entries of an older version are misses). The value's JSON is the one the chain made to measure the value
 * (`valueJson`), spliced in rather than serialized again.
 */
export function encodeEntry(entry: CacheEntry): string {
  let json = `[3,${valueJson(entry)},${Number.isFinite(entry.expiresAt) ? entry.expiresAt : null},${entry.createdAt},${entry.stamp},${JSON.stringify(entry.digest)}`;
  if (entry.graceUntil !== undefined || entry.tags?.length) json += `,${entry.graceUntil ?? null}`;
  if (entry.tags?.length) json += `,${JSON.stringify(entry.tags)}`;
  return `${json}]`;
}

/** The entry, or an E_LAYER_FAILED error (the chain turns it into a miss) for bytes this code did not write. */
export function decodeEntry(raw: string, source: string): LayerHit {
  let fields: unknown;
  try {
    fields = JSON.parse(raw);
  } catch {
    throw corrupt(source, "not JSON");
  }
  if (!Array.isArray(fields) || fields[0] !== 3 || typeof fields[3] !== "number" || typeof fields[4] !== "number")
    throw corrupt(source, "not a ragcache entry of this version");
  if (typeof fields[5] !== "string") throw corrupt(source, "no key digest");
  const hit: LayerHit = {
    value: fields[1],
    expiresAt: fields[2] ?? Infinity,
    createdAt: fields[3],
    stamp: fields[4],
    digest: fields[5],
  };
  if (typeof fields[6] === "number") hit.graceUntil = fields[6];
  if (Array.isArray(fields[7])) hit.tags = fields[7];
  return hit;
}

function corrupt(source: string, why: string): RagCacheError {
  return new RagCacheError("E_LAYER_FAILED", `a stored entry is unreadable (${why}); treated as a miss`, { source });
}
