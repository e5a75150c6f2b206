import { keepUntil, type CacheEntry } from "../../src/index.ts";
import type { Plan } from "./journal.ts";
import type { RedisStore } from "./store.ts";

/**
 * The one comparison of write stamps in this plugin: does `candidate` replace `current`? Equal
 * stamps do not (the same write, or one Redis already has).
 */
export function isNewer(candidate: CacheEntry, current: CacheEntry): boolean {
  return candidate.createdAt > current.createdAt;
}

/** A key whose value keeps changing under the replay: the writers are live, their values newer. */
const ATTEMPTS = 5;

/**
 * Makes Redis agree with a journal: namespaces cleared and tags invalidated there too, deleted keys
 * removed, and each journaled entry written unless Redis holds a newer one (compare-and-set, so a
 * write landing meanwhile is compared again, never overwritten blindly).
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

async function restore(store: RedisStore, id: string, entry: CacheEntry, now: () => number): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const raw = await store.get(id);
    const current = raw === null ? undefined : readable(store, raw);
    if (current && !isNewer(entry, current)) return;
    const keep = Math.ceil(keepUntil(entry) - now());
    if (await store.replaceIf(id, raw, keep > 0 ? entry : undefined, Number.isFinite(keep) ? keep : 0)) return;
  }
}

/** Bytes that are no ragcache entry are replaced like a missing key. */
function readable(store: RedisStore, raw: string): CacheEntry | undefined {
  try {
    return store.decode(raw);
  } catch {
    return undefined;
  }
}
