import { keepUntil, type CacheEntry, type LayerHit } from "../../src/index.ts";

/** What the layer keeps in memory about one file (rebuilt from the files themselves at start). */
export interface FileMeta {
  id: string;
  bytes: number;
  /** Until when the entry may be served (end of grace, else expiry); Infinity for never. */
  keepUntil: number;
  tags: readonly string[];
}

/** The index's record of a file holding `text`, the encoding of `entry` for the key `id`. */
export function fileMeta(id: string, text: string, entry: CacheEntry): FileMeta {
  return { id, bytes: Buffer.byteLength(text), keepUntil: keepUntil(entry), tags: entry.tags ?? [] };
}

/**
 * One JSON document per file: `{"v":3,"id":…,"entry":{…}}` (files of an older version are misses). The id is stored so that a file is only
 * ever served for the key it was written for; `expiresAt` is null for never (JSON has no Infinity).
 */
export function encodeFile(id: string, entry: CacheEntry): string {
  const { size: _size, ...stored } = entry;
  return JSON.stringify({ v: 3, id, entry: { ...stored, expiresAt: Number.isFinite(entry.expiresAt) ? entry.expiresAt : null } });
}

/** The entry a file holds, or undefined when the bytes are not one this layer wrote (corrupt, truncated, foreign). */
export function decodeFile(text: string): { id: string; entry: LayerHit } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const { v, id, entry } = doc as { v?: unknown; id?: unknown; entry?: Record<string, unknown> };
  if (v !== 3 || typeof id !== "string" || typeof entry !== "object" || entry === null || !("value" in entry)) return undefined;
  if (typeof entry.createdAt !== "number" || typeof entry.stamp !== "number" || typeof entry.digest !== "string")
    return undefined;
  if (entry.expiresAt !== null && typeof entry.expiresAt !== "number") return undefined;
  const hit: LayerHit = {
    value: entry.value,
    createdAt: entry.createdAt,
    stamp: entry.stamp,
    digest: entry.digest,
    expiresAt: (entry.expiresAt as number | null) ?? Infinity,
  };
  if (typeof entry.graceUntil === "number") hit.graceUntil = entry.graceUntil;
  if (Array.isArray(entry.tags) && entry.tags.every((tag) => typeof tag === "string")) hit.tags = entry.tags;
  return { id, entry: hit };
}
