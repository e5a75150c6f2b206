import type { CacheEntry, CacheKey, CacheLayer } from "../../src/index.ts";

/** Remote-like: keeps JSON text, answers with a fresh decode behind a promise. */
export function jsonLayer(): CacheLayer {
  const texts = new Map<string, string>();
  return {
    name: "json",
    get: (key: CacheKey) => {
      const text = texts.get(key.id);
      return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as CacheEntry));
    },
    set: (key: CacheKey, entry: CacheEntry) => void texts.set(key.id, JSON.stringify(entry)),
    delete: (key: CacheKey) => void texts.delete(key.id),
    clear: () => texts.clear(),
    invalidateTags: () => {},
  };
}
