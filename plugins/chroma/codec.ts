import type { Metadata } from "chromadb";
import { keepUntil, type CacheEntry, type CacheKey } from "../../src/index.ts";

/** Prefix of the one boolean metadata field per tag: Chroma 1.0 metadata values are scalars only. */
export const TAG_PREFIX = "tag:";
/** `keep` of an entry that never expires: Chroma stores integers, not Infinity. */
const FOREVER = Number.MAX_SAFE_INTEGER;

interface StoredEntry {
  v: unknown;
  /** expiresAt; null for Infinity (JSON has no Infinity). */
  e: number | null;
  c: number;
  /** Write stamp. */
  w: number;
  /** Digest of the key the entry answers. */
  d: string;
  g?: number;
  t?: readonly string[];
  s?: number;
}

/** Metadata of one stored query: what the nearest-neighbour filter needs, and the entry itself as JSON. */
export function encode(key: CacheKey, entry: CacheEntry, embedderId: string): Metadata {
  const stored: StoredEntry = {
    v: entry.value,
    e: Number.isFinite(entry.expiresAt) ? entry.expiresAt : null,
    c: entry.createdAt,
    w: entry.stamp,
    d: entry.digest,
  };
  if (entry.graceUntil !== undefined) stored.g = entry.graceUntil;
  if (entry.tags?.length) stored.t = entry.tags;
  if (entry.size !== undefined) stored.s = entry.size;
  const keep = keepUntil(entry);
  const metadata: Metadata = {
    ns: key.namespace,
    params: key.paramsHash,
    emb: embedderId,
    keep: Number.isFinite(keep) ? Math.ceil(keep) : FOREVER,
    entry: JSON.stringify(stored),
  };
  for (const tag of entry.tags ?? []) metadata[`${TAG_PREFIX}${tag}`] = true;
  return metadata;
}

/**
 * The stored entry, or undefined for one written by an older version (no write stamp or digest) or
 * not readable at all: one bad record is skipped, not a failure of every lookup near it.
 */
export function decode(metadata: Metadata): CacheEntry | undefined {
  let stored: StoredEntry;
  try {
    stored = JSON.parse(String(metadata.entry)) as StoredEntry;
  } catch {
    return undefined;
  }
  if (typeof stored !== "object" || stored === null || typeof stored.w !== "number" || typeof stored.d !== "string")
    return undefined;
  const entry: CacheEntry = {
    value: stored.v,
    expiresAt: stored.e ?? Infinity,
    createdAt: stored.c,
    stamp: stored.w,
    digest: stored.d,
  };
  if (stored.g !== undefined) entry.graceUntil = stored.g;
  if (stored.t) entry.tags = stored.t;
  if (stored.s !== undefined) entry.size = stored.s;
  return entry;
}
