import { RagCacheError, valueJson, type CacheEntry, type LayerHit } from "../../src/index.ts";

/** The format version, the array's first element: entries of another version are misses. */
export const FORMAT_VERSION = 3;

/**
 * Format: a JSON array `[3, stamp, digest, value, expiresAt, createdAt, graceUntil, tags]` (expiry
 * `null` for never, trailing absent fields dropped). JSON because the chain already admits only JSON
 * values (it measured their JSON size), Bun's JSON.parse/stringify are native code and need no
 * dependency, and entries stay readable with redis-cli. An array instead of an object saves the field
 * names on every entry (the storage format table of bench/RESULTS.md weighs bytes against encode +
 * decode time). The stamp comes first so that a Lua script can compare it without decoding the value.
 * The value's JSON is the one the chain made to measure the value (`valueJson`), spliced in rather
 * than serialized again.
 */
export function encodeEntry(entry: CacheEntry): string {
  const expiresAt = Number.isFinite(entry.expiresAt) ? entry.expiresAt : null;
  let json = `[${FORMAT_VERSION},${entry.stamp},${JSON.stringify(entry.digest)},${valueJson(entry)},${expiresAt},${entry.createdAt}`;
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
  if (!Array.isArray(fields) || fields[0] !== FORMAT_VERSION || fields.length < 6)
    throw corrupt(source, "not an entry of this version");
  const [, stamp, digest, value, expiresAt, createdAt, graceUntil, tags] = fields;
  if (typeof stamp !== "number" || typeof digest !== "string" || typeof createdAt !== "number")
    throw corrupt(source, "not an entry of this version");
  const hit: LayerHit = { value, expiresAt: expiresAt ?? Infinity, createdAt, stamp, digest };
  if (typeof graceUntil === "number") hit.graceUntil = graceUntil;
  if (Array.isArray(tags)) hit.tags = tags;
  return hit;
}

function corrupt(source: string, why: string): RagCacheError {
  return new RagCacheError("E_LAYER_FAILED", `a stored entry is unreadable (${why}); treated as a miss`, { source });
}
