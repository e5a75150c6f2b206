/**
 * A complete custom layer: entries in a plain Map, with a log line per operation when `log` is on.
 * It shows everything a layer plugin needs — a factory, documented options, a zod `configSchema`
 * so a JSON config can name it by module path, and the `CacheLayer` methods.
 *
 * Used by ./main.ts and ./ragcache.json; tested by test/examples/custom-layer/map-layer.test.ts (the shared
 * layer conformance suite) and test/src/config.test.ts.
 */
import { z } from "zod";
import { keepUntil, type CacheEntry, type CacheLayer, type LayerContext } from "../../src/index.ts";

/** What `mapLayer` takes. */
export interface MapLayerOptions {
  /** Layer name in events and stats. Default "map". */
  name?: string;
  /** Print each operation to the console. Default false. */
  log?: boolean;
}

/** Options as plain config (`{ "use": "./map-layer.ts", "log": true }`), validated at load time. */
export const configSchema = z.strictObject({ name: z.string().min(1).optional(), log: z.boolean().optional() });

/**
 * Entries in a plain Map, checked against the chain's clock on read.
 * @example
 * ```ts
 * const cache = createCache({ layers: [memory(), mapLayer({ log: true })] });
 * ```
 */
export function mapLayer(options: MapLayerOptions = {}) {
  const entries = new Map<string, CacheEntry>();
  const log = options.log ? (line: string) => console.log(`[${options.name ?? "map"}] ${line}`) : () => {};
  let now = Date.now;
  return {
    name: options.name ?? "map",
    attach(context: LayerContext) {
      now = context.now;
    },
    get(key) {
      const entry = entries.get(key.id);
      if (entry && keepUntil(entry) <= now()) entries.delete(key.id);
      log(`get ${key.text || key.id} → ${entry ? "hit" : "miss"}`);
      return entries.get(key.id);
    },
    set(key, entry) {
      log(`set ${key.text || key.id}`);
      if (keepUntil(entry) > now()) entries.set(key.id, entry);
    },
    delete(key) {
      entries.delete(key.id);
    },
    clear(namespace) {
      for (const id of entries.keys()) if (namespace === undefined || id.startsWith(`${namespace}:`)) entries.delete(id);
    },
    invalidateTags(tags) {
      for (const [id, entry] of entries) if (entry.tags?.some((tag) => tags.includes(tag))) entries.delete(id);
    },
    stats() {
      return { entries: entries.size };
    },
  } satisfies CacheLayer;
}
