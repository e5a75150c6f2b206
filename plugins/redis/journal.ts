import { keepUntil, keyFromId, type CacheLayer, type Invalidation } from "../../src/index.ts";
import type { RedisStore } from "./store.ts";

/** What changed while Redis was out of reach, so that recovery can make Redis agree with it. */
export class Journal {
  ids = new Set<string>();
  tags = new Set<string>();
  namespaces = new Set<string>();
  /** Too much to remember, or a full clear: recovery clears the whole prefix instead. */
  everything = false;
  #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.ids.size + this.tags.size + this.namespaces.size + (this.everything ? 1 : 0);
  }

  id(id: string): void {
    if (!this.everything) this.ids.add(id);
    this.#bound();
  }

  tag(tags: readonly string[]): void {
    if (!this.everything) for (const tag of tags) this.tags.add(tag);
    this.#bound();
  }

  clear(namespace?: string): void {
    if (namespace === undefined) this.#forgetDetails();
    else if (!this.everything) this.namespaces.add(namespace);
    this.#bound();
  }

  /** Hands the changes over and starts empty. */
  take(): Journal {
    const taken = Object.assign(new Journal(this.#max), this);
    this.ids = new Set();
    this.tags = new Set();
    this.namespaces = new Set();
    this.everything = false;
    return taken;
  }

  /** Takes back changes whose reconciliation failed. */
  restore(changes: Journal): void {
    if (changes.everything) this.clear();
    for (const namespace of changes.namespaces) this.clear(namespace);
    this.tag([...changes.tags]);
    for (const id of changes.ids) this.id(id);
  }

  /** The invalidations other processes must apply to forget what they may hold for these changes. */
  invalidations(): Invalidation[] {
    if (this.everything) return [{ type: "clear" }];
    const list: Invalidation[] = [...this.namespaces].map((namespace) => ({ type: "clear", namespace }));
    if (this.tags.size) list.push({ type: "tags", tags: [...this.tags] });
    if (this.ids.size) list.push({ type: "delete", ids: [...this.ids] });
    return list;
  }

  #bound(): void {
    if (this.size > this.#max) this.#forgetDetails();
  }

  #forgetDetails(): void {
    this.everything = true;
    this.ids.clear();
    this.tags.clear();
    this.namespaces.clear();
  }
}

/**
 * Makes Redis agree with what happened while it was down: namespaces cleared and tags invalidated
 * there too, and every key written or deleted gets the fallback's current entry copied over (or is
 * deleted when the fallback has none). Afterwards the fallback is emptied, so that a later outage
 * never serves an entry Redis has since replaced.
 */
export async function reconcile(
  changes: Journal,
  store: RedisStore,
  fallback: CacheLayer | undefined,
  now: () => number,
): Promise<void> {
  if (changes.everything) await store.clear();
  for (const namespace of changes.namespaces) await store.clear(namespace);
  if (changes.tags.size) await store.invalidateTags([...changes.tags]);
  const ids = [...changes.ids];
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(
      ids.slice(i, i + 100).map(async (id) => {
        const entry = await fallback?.get(keyFromId(id));
        const px = entry ? Math.ceil(keepUntil(entry) - now()) : 0;
        if (!entry || px <= 0) return store.delete([id]);
        const { similarity: _s, matchedText: _m, ...exact } = entry;
        return store.set(id, exact, Number.isFinite(px) ? px : 0);
      }),
    );
  }
  await fallback?.clear();
}
