import { LRUCache } from "lru-cache";
import { z } from "zod";
import {
  isNewer,
  keepUntil,
  parseOptions,
  serializedSize,
  type CacheEntry,
  type CacheKey,
  type CacheLayer,
  type EvictReason,
  type LayerContext,
  type LayerSetOptions,
} from "../../src/index.ts";

/**
 * Options of `memory()`, from code or as plain config (`{ "use": "memory", "max": 10000 }`): the one
 * source of their types, defaults and validation.
 * @example
 * ```ts
 * memory({ max: 50_000, maxBytes: 64 * 1024 * 1024 });
 * ```
 */
export const configSchema = z.strictObject({
  /** Layer name in events, stats and X-Cache-Layer. Default "memory". */
  name: z.string().min(1).default("memory"),
  /** Most entries kept; the least recently used goes first. Default 10 000. */
  max: z.number().int().positive().default(10_000),
  /** Most bytes kept, counting each value's JSON size. Default: no byte bound. */
  maxBytes: z.number().int().positive().optional(),
});

export type MemoryOptions = z.input<typeof configSchema>;

const EVICT_REASON: Partial<Record<LRUCache.DisposeReason, EvictReason>> = { evict: "capacity", expire: "expired" };

/**
 * The L1 layer: an in-process LRU that keeps references to the cached values (no serialization on
 * a hit, so treat cached values as immutable). Answers synchronously.
 * @example
 * ```ts
 * const cache = createCache({ layers: [memory({ max: 10_000 }), redis({ url })] });
 * ```
 */
export function memory(options: MemoryOptions = {}): CacheLayer & { readonly size: number } {
  const { name, max, maxBytes } = parseOptions(configSchema, options, "memory");
  let context: LayerContext | undefined;
  const byTag = new Map<string, Set<string>>();
  const lru = new LRUCache<string, CacheEntry>({
    max,
    ...(maxBytes
      ? {
          maxSize: maxBytes,
          sizeCalculation: (entry: CacheEntry) => Math.max(1, entry.size ?? serializedSize(entry.value)),
        }
      : {}),
    dispose: (entry, id, reason) => {
      if (reason !== "set") untag(id, entry);
      const evicted = EVICT_REASON[reason];
      if (evicted && context)
        context.emit("evict", { layer: name, id, reason: maxBytes && evicted === "capacity" ? "size" : evicted });
    },
  });

  function untag(id: string, entry: CacheEntry): void {
    for (const tag of entry.tags ?? []) {
      const ids = byTag.get(tag);
      ids?.delete(id);
      if (ids?.size === 0) byTag.delete(tag);
    }
  }

  return {
    name,
    get size() {
      return lru.size;
    },
    attach(layerContext) {
      context = layerContext;
    },
    get(key: CacheKey) {
      return lru.get(key.id);
    },
    /**
     * A back-fill (`ifNewer`) never replaces an entry of the same key with an older write stamp. A plain
     * write always lands: the chain orders its own writes, and another process's clock running ahead
     * must not make this process's newer write bounce off the entry it back-filled.
     */
    set(key: CacheKey, entry: CacheEntry, options?: LayerSetOptions) {
      if (options?.ifNewer) {
        const current = lru.peek(key.id, { allowStale: true });
        if (current !== undefined && current.digest === entry.digest && isNewer(current, entry)) return;
      }
      const ttl = keepUntil(entry) - (context?.now() ?? Date.now());
      if (ttl <= 0) return void lru.delete(key.id);
      lru.set(key.id, entry, { ttl: Number.isFinite(ttl) ? Math.ceil(ttl) : 0 });
      for (const tag of entry.tags ?? []) {
        let ids = byTag.get(tag);
        if (!ids) byTag.set(tag, (ids = new Set()));
        ids.add(key.id);
      }
    },
    delete(key: CacheKey) {
      lru.delete(key.id);
    },
    clear(namespace?: string) {
      if (namespace === undefined) return lru.clear();
      const prefix = `${namespace}:`;
      for (const id of [...lru.keys()]) if (id.startsWith(prefix)) lru.delete(id);
    },
    invalidateTags(tags: readonly string[]) {
      for (const tag of tags) {
        for (const id of [...(byTag.get(tag) ?? [])]) {
          if (lru.peek(id, { allowStale: true })?.tags?.includes(tag)) lru.delete(id);
        }
        byTag.delete(tag);
      }
    },
    health() {
      return { state: "up" };
    },
    stats() {
      return { entries: lru.size, tags: byTag.size, ...(maxBytes ? { bytes: lru.calculatedSize } : {}) };
    },
  };
}
