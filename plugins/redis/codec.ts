import { RagCacheError, valueJson, type CacheEntry, type LayerHit } from "../../src/index.ts";

/**
 * Format: a JSON array `[1, value, expiresAt, createdAt, graceUntil, tags]` (expiry `null` for never,
 * trailing absent fields dropped). JSON because the chain already admits only JSON values (it measured
 * their JSON size), Bun's JSON.parse/stringify are native code and need no dependency, and entries stay
 * readable with redis-cli. An array instead of an object saves the field names on every entry (the
 * storage format table of bench/RESULTS.md weighs bytes against encode + decode time); the leading 1
 * is the format version. The value's JSON is the one the chain made to measure the value
 * (`valueJson`), spliced in rather than serialized again.
 */
export function encodeEntry(entry: CacheEntry): string {
  let json = `[1,${valueJson(entry)},${Number.isFinite(entry.expiresAt) ? entry.expiresAt : null},${entry.createdAt}`;
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
  if (!Array.isArray(fields) || fields[0] !== 1 || fields.length < 4 || typeof fields[3] !== "number")
    throw corrupt(source, "not a ragcache entry");
  const hit: LayerHit = { value: fields[1], expiresAt: fields[2] ?? Infinity, createdAt: fields[3] };
  if (typeof fields[4] === "number") hit.graceUntil = fields[4];
  if (Array.isArray(fields[5])) hit.tags = fields[5];
  return hit;
}

function corrupt(source: string, why: string): RagCacheError {
  return new RagCacheError("E_LAYER_FAILED", `a stored entry is unreadable (${why}); treated as a miss`, { source });
}
