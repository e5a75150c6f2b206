import type { CacheEntry } from "../../src/index.ts";

/** Why an entry left the list: a bound (`evict`), a delete or clear, or a newer entry for its id (`set`). */
export type RemoveReason = "evict" | "delete" | "set";

/**
 * One stored entry, linked from oldest to newest insertion. `visited` is set by a read and cleared by
 * the eviction hand passing it; `list` is the list holding it, undefined once it left (and `entry`
 * then too, so that a key object still holding the node does not keep the value alive). What a hit
 * reads is declared first (fields are laid out in declaration order), so it shares one cache line.
 */
export class SieveNode {
  list: Sieve | undefined;
  entry: CacheEntry | undefined;
  visited = false;
  readonly id: string;
  size: number;
  older: SieveNode | undefined = undefined;
  newer: SieveNode | undefined = undefined;
  constructor(list: Sieve, entry: CacheEntry, id: string, size: number) {
    this.list = list;
    this.entry = entry;
    this.id = id;
    this.size = size;
  }
}

/** What bounds a `Sieve` and hears what leaves it. */
export interface SieveOptions {
  max: number;
  maxSize?: number;
  sizeOf?: (entry: CacheEntry) => number;
  onRemove: (id: string, entry: CacheEntry, reason: RemoveReason) => void;
}

/**
 * Entries by id, evicted by SIEVE (Zhang et al., NSDI 2024): a read only marks its node visited, and
 * eviction moves a hand from the oldest entries towards the newest, clearing marks, until it finds
 * one not read since the hand last passed. An LRU moves the node it reads to the front, writing to
 * two neighbours on every hit; with thousands of entries those are cache misses that cost more than
 * the lookup itself. Entries read again survive as under an LRU, and a scan of entries read once
 * does not push them out. A caller may keep a node: it is read without a lookup while its `list` is
 * this one.
 */
export class Sieve {
  #byId = new Map<string, SieveNode>();
  #oldest: SieveNode | undefined;
  #newest: SieveNode | undefined;
  /** The next eviction candidate; undefined starts the sweep at the oldest entry. */
  #hand: SieveNode | undefined;
  #o: SieveOptions;
  calculatedSize = 0;

  constructor(options: SieveOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The node of `id`, marked as read. */
  get(id: string): SieveNode | undefined {
    const node = this.#byId.get(id);
    if (node !== undefined) visit(node);
    return node;
  }

  peek(id: string): CacheEntry | undefined {
    return this.#byId.get(id)?.entry;
  }

  /** Stores `entry` under `id`; false when it is larger than the byte bound (then `id` holds nothing). */
  set(id: string, entry: CacheEntry): boolean {
    const size = this.#o.sizeOf ? this.#o.sizeOf(entry) : 0;
    if (this.#o.maxSize !== undefined && size > this.#o.maxSize) {
      this.delete(id);
      return false;
    }
    const node = this.#byId.get(id);
    if (node !== undefined) {
      const old = node.entry!;
      this.calculatedSize += size - node.size;
      node.entry = entry;
      node.size = size;
      visit(node);
      this.#o.onRemove(id, old, "set");
      while (this.#over(0, 0)) this.#evict(node);
      return true;
    }
    // Room is made before the new entry is linked, so that it is never its own victim.
    while (this.#over(1, size)) this.#evict(undefined);
    const added = new SieveNode(this, entry, id, size);
    this.#byId.set(id, added);
    this.calculatedSize += size;
    added.older = this.#newest;
    if (this.#newest) this.#newest.newer = added;
    else this.#oldest = added;
    this.#newest = added;
    return true;
  }

  delete(id: string): void {
    const node = this.#byId.get(id);
    if (node !== undefined) this.#remove(node, "delete");
  }

  clear(): void {
    for (const node of [...this.#byId.values()]) this.#remove(node, "delete");
  }

  keys(): string[] {
    return [...this.#byId.keys()];
  }

  /** Whether `count` more entries of `size` more bytes would break a bound. */
  #over(count: number, size: number): boolean {
    const maxSize = this.#o.maxSize;
    return (
      this.#byId.size > 0 &&
      (this.#byId.size + count > this.#o.max || (maxSize !== undefined && this.calculatedSize + size > maxSize))
    );
  }

  /** Evicts the first entry from the hand on that was not read since the hand last passed it; never `spare`. */
  #evict(spare: SieveNode | undefined): void {
    let node = this.#hand ?? this.#oldest!;
    while (node.visited || node === spare) {
      node.visited = false;
      node = node.newer ?? this.#oldest!;
    }
    this.#hand = node;
    this.#remove(node, "evict");
  }

  #remove(node: SieveNode, reason: RemoveReason): void {
    if (node === this.#hand) this.#hand = node.newer;
    this.#byId.delete(node.id);
    if (node.older) node.older.newer = node.newer;
    else this.#oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.#newest = node.older;
    node.older = node.newer = undefined;
    node.list = undefined;
    this.calculatedSize -= node.size;
    const entry = node.entry!;
    node.entry = undefined;
    this.#o.onRemove(node.id, entry, reason);
  }
}

/** Marks a node read. A node already marked is not written again: its cache line stays clean. */
export function visit(node: SieveNode): void {
  if (!node.visited) node.visited = true;
}
