import type { CacheEntry } from "../../src/index.ts";

/** Why an entry left the list: a bound (`evict`), a delete or clear, or a newer entry for its id (`set`). */
export type RemoveReason = "evict" | "delete" | "set";

/** One stored entry, linked from least to most recently used; `live` turns false once it leaves. */
export class LruNode {
  prev: LruNode | undefined = undefined;
  next: LruNode | undefined = undefined;
  live = true;
  constructor(
    readonly owner: Lru,
    readonly id: string,
    public entry: CacheEntry,
    public size: number,
  ) {}
}

/** What bounds an `Lru` and hears what leaves it. */
export interface LruOptions {
  max: number;
  maxSize?: number;
  sizeOf?: (entry: CacheEntry) => number;
  onRemove: (id: string, entry: CacheEntry, reason: RemoveReason) => void;
}

/**
 * A least-recently-used list of entries by id whose nodes a caller may keep: a held node is read
 * and touched without a lookup, as long as it is `live` and this list's own.
 */
export class Lru {
  #byId = new Map<string, LruNode>();
  #oldest: LruNode | undefined;
  #newest: LruNode | undefined;
  #o: LruOptions;
  calculatedSize = 0;

  constructor(options: LruOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The node of `id`, made the most recently used. */
  get(id: string): LruNode | undefined {
    const node = this.#byId.get(id);
    if (node !== undefined) this.touch(node);
    return node;
  }

  peek(id: string): CacheEntry | undefined {
    return this.#byId.get(id)?.entry;
  }

  touch(node: LruNode): void {
    if (node === this.#newest) return;
    this.#unlink(node);
    this.#append(node);
  }

  set(id: string, entry: CacheEntry): void {
    const size = this.#o.sizeOf ? this.#o.sizeOf(entry) : 0;
    const maxSize = this.#o.maxSize;
    if (maxSize !== undefined && size > maxSize) return this.delete(id);
    const node = this.#byId.get(id);
    if (node !== undefined) {
      const old = node.entry;
      this.calculatedSize += size - node.size;
      node.entry = entry;
      node.size = size;
      this.touch(node);
      this.#o.onRemove(id, old, "set");
    } else {
      const added = new LruNode(this, id, entry, size);
      this.#byId.set(id, added);
      this.calculatedSize += size;
      this.#append(added);
    }
    while (this.#byId.size > this.#o.max || (maxSize !== undefined && this.calculatedSize > maxSize))
      this.#remove(this.#oldest!, "evict");
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

  #remove(node: LruNode, reason: RemoveReason): void {
    this.#byId.delete(node.id);
    this.#unlink(node);
    node.live = false;
    this.calculatedSize -= node.size;
    this.#o.onRemove(node.id, node.entry, reason);
  }

  #unlink(node: LruNode): void {
    if (node.prev) node.prev.next = node.next;
    else this.#oldest = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#newest = node.prev;
    node.prev = node.next = undefined;
  }

  #append(node: LruNode): void {
    node.prev = this.#newest;
    if (this.#newest) this.#newest.next = node;
    else this.#oldest = node;
    this.#newest = node;
  }
}
