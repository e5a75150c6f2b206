import { keepUntil, type CacheEntry } from "../../src/index.ts";
import type { Plan } from "./journal.ts";
import type { RedisStore } from "./store.ts";

/**
 * Makes Redis agree with a journal: namespaces cleared and tags invalidated there too, deleted keys
 * removed, and each journaled entry written unless Redis holds one with a newer write stamp (the
 * store's compare-and-set, as for back-fills), so an older journaled write never replaces a newer
 * value another process wrote meanwhile.
 */
export async function replay(plan: Plan, store: RedisStore, now: () => number): Promise<void> {
  if (plan.everything) await store.clear();
  for (const namespace of plan.namespaces) await store.clear(namespace);
  if (plan.tags.size) await store.invalidateTags([...plan.tags]);
  const ids = [...plan.ids];
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(ids.slice(i, i + 100).map(([id, entry]) => (entry ? restore(store, id, entry, now) : store.delete([id]))));
  }
}

/**
 * An entry that expired since it was journaled is still written (for a millisecond) when it is the
 * newer one: it must replace the older value Redis holds, which would otherwise be served again.
 */
function restore(store: RedisStore, id: string, entry: CacheEntry, now: () => number): Promise<unknown> {
  const keep = Math.ceil(keepUntil(entry) - now());
  return store.set(id, entry, Number.isFinite(keep) ? Math.max(keep, 1) : 0, true);
}
