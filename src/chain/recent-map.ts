/**
 * A map bounded to the keys set most recently, in two generations: once `max` keys were set, they
 * become the older generation and the generation before is dropped (handed to `onDrop`). Every call
 * is O(1): evicting one oldest key at a time means scanning a Map from its start, which in Bun slows
 * down as deleted keys pile up (a write path at 30-50 k/s instead of 1 M/s).
 */
export class RecentMap<V> {
  #recent = new Map<string, V>();
  #older = new Map<string, V>();
  #max: number;
  #onDrop?: (dropped: Map<string, V>) => void;

  constructor(max: number, onDrop?: (dropped: Map<string, V>) => void) {
    this.#max = max;
    this.#onDrop = onDrop;
  }

  get(key: string): V | undefined {
    const value = this.#recent.get(key);
    return value !== undefined ? value : this.#older.get(key);
  }

  /** Whether the key is among the most recent generation (set since the last turn). */
  hasRecent(key: string): boolean {
    return this.#recent.has(key);
  }

  set(key: string, value: V): void {
    this.#recent.set(key, value);
    if (this.#recent.size < this.#max) return;
    const dropped = this.#older;
    this.#older = this.#recent;
    this.#recent = new Map();
    this.#onDrop?.(dropped);
  }
}
