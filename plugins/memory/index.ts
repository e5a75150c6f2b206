import { z } from "zod";
import {
  backfillLoses,
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
import { Sieve, visit, type RemoveReason, type SieveNode } from "./sieve.ts";

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
  /** Most entries kept; past it, entries not read lately go first (SIEVE eviction). Default 10 000. */
  max: z.number().int().positive().default(10_000),
  /** Most bytes kept, counting each value's JSON size. Default: no byte bound. */
  maxBytes: z.number().int().positive().optional(),
});

export type MemoryOptions = z.input<typeof configSchema>;

const EVICT_REASON: Partial<Record<RemoveReason, EvictReason>> = { evict: "capacity" };

/**
 * The L1 layer: an in-process map bounded by SIEVE eviction, keeping references to the cached values
 * (no serialization on a hit, so treat cached values as immutable). Answers synchronously.
 * @example
 * ```ts
 * const cache = createCache({ layers: [memory({ max: 10_000 }), redis({ url })] });
 * ```
 */
export function memory(options: MemoryOptions = {}): CacheLayer & { readonly size: number } {
  const { name, max, maxBytes } = parseOptions(configSchema, options, "memory");
  let context: LayerContext | undefined;
  const byTag = new Map<string, Set<string>>();
  const entries = new Sieve({
    max,
    ...(maxBytes
      ? { maxSize: maxBytes, sizeOf: (entry: CacheEntry) => Math.max(1, entry.size ?? serializedSize(entry.value)) }
      : {}),
    onRemove: (id, entry, reason) => {
      untag(id, entry);
      const evicted = EVICT_REASON[reason];
      if (evicted && context)
        context.emit("evict", { layer: name, id, reason: maxBytes && evicted === "capacity" ? "size" : evicted });
    },
  });

  const now = () => context?.now() ?? Date.now();

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
      return entries.size;
    },
    attach(layerContext) {
      context = layerContext;
    },
    // A key object read before holds this layer's node: a repeated read by the same key (a key memo,
    // a precomputed key) costs no lookup. The node is trusted only while this list holds it.
    // Expiry is read from the entry, and the chain's clock is the one that counts.
    get(key: CacheKey) {
      let node = key.layerRef as SieveNode | undefined;
      if (node !== undefined && node.list === entries) visit(node);
      else {
        node = entries.get(key.id);
        if (node === undefined) return undefined;
        // Reflect.set: a key the caller froze keeps no node (and throws nothing).
        if ("layerRef" in key) Reflect.set(key, "layerRef", node);
      }
      const entry = node.entry!;
      if (keepUntil(entry) > now()) return entry;
      entries.delete(key.id);
      context?.emit("evict", { layer: name, id: key.id, reason: "expired" });
      return undefined;
    },
    /**
     * A back-fill (`ifNewer`) never replaces an entry of the same key written as late or later
     * (`backfillLoses`). A plain write always lands: the chain orders its own writes, and another process's clock running ahead
     * must not make this process's newer write bounce off the entry it back-filled.
     */
    set(key: CacheKey, entry: CacheEntry, options?: LayerSetOptions) {
      if (options?.ifNewer && backfillLoses(entries.peek(key.id), entry)) return;
      if (keepUntil(entry) <= now()) return void entries.delete(key.id);
      if (!entries.set(key.id, entry)) return;
      for (const tag of entry.tags ?? []) {
        let ids = byTag.get(tag);
        if (!ids) byTag.set(tag, (ids = new Set()));
        ids.add(key.id);
      }
    },
    delete(key: CacheKey) {
      entries.delete(key.id);
    },
    clear(namespace?: string) {
      if (namespace === undefined) return entries.clear();
      const prefix = `${namespace}:`;
      for (const id of entries.keys()) if (id.startsWith(prefix)) entries.delete(id);
    },
    invalidateTags(tags: readonly string[]) {
      for (const tag of tags) {
        for (const id of [...(byTag.get(tag) ?? [])]) {
          if (entries.peek(id)?.tags?.includes(tag)) entries.delete(id);
        }
        byTag.delete(tag);
      }
    },
    health() {
      return { state: "up" };
    },
    stats() {
      return { entries: entries.size, tags: byTag.size, ...(maxBytes ? { bytes: entries.calculatedSize } : {}) };
    },
  };
}
