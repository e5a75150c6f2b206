/** One monitored item: its estimated count, and by how much that may overestimate it. */
export interface Counter<T> {
  id: string;
  item: T;
  count: number;
  error: number;
}

/**
 * Space-Saving (Metwally et al.): the most frequent items of a stream in fixed memory. `capacity`
 * counters are kept in a min-heap; an unmonitored item takes over the smallest counter and inherits
 * its count as error. Every item more frequent than total/capacity is guaranteed to be monitored,
 * and each count overestimates by at most its `error`.
 * @example
 * ```ts
 * const top = new SpaceSaving<string>(1000);
 * for (const query of stream) top.add(query, query);
 * top.top(10); // [{ id, item, count, error }, …], most frequent first
 * ```
 */
export class SpaceSaving<T> {
  readonly capacity: number;
  #heap: Counter<T>[] = [];
  #index = new Map<string, number>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#heap.length;
  }

  add(id: string, item: T, by = 1): void {
    const at = this.#index.get(id);
    if (at !== undefined) {
      const counter = this.#heap[at]!;
      counter.count += by;
      counter.item = item;
      this.#down(at);
    } else if (this.#heap.length < this.capacity) {
      this.#heap.push({ id, item, count: by, error: 0 });
      this.#index.set(id, this.#heap.length - 1);
      this.#up(this.#heap.length - 1);
    } else {
      const smallest = this.#heap[0]!;
      this.#index.delete(smallest.id);
      this.#heap[0] = { id, item, count: smallest.count + by, error: smallest.count };
      this.#index.set(id, 0);
      this.#down(0);
    }
  }

  /** The `n` largest counters, largest first; ties go to the smaller error (the surer count). */
  top(n: number): Counter<T>[] {
    return [...this.#heap]
      .sort((a, b) => b.count - a.count || a.error - b.error)
      .slice(0, n)
      .map((c) => ({ ...c }));
  }

  /** Every count times `factor` (0..1): old popularity fades so the table follows today's traffic. */
  decay(factor: number): void {
    for (const counter of this.#heap) {
      counter.count *= factor;
      counter.error *= factor;
    }
  }

  /** Merge saved counters back in (the largest first, at most `capacity`). */
  restore(counters: readonly Counter<T>[]): void {
    for (const saved of [...counters].sort((a, b) => b.count - a.count).slice(0, this.capacity)) {
      this.add(saved.id, saved.item, saved.count);
      this.#heap[this.#index.get(saved.id)!]!.error += saved.error;
    }
  }

  counters(): Counter<T>[] {
    return this.#heap.map((c) => ({ ...c }));
  }

  #up(at: number): void {
    const heap = this.#heap;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent]!.count <= heap[at]!.count) return;
      this.#swap(at, parent);
      at = parent;
    }
  }

  #down(at: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if (left < heap.length && heap[left]!.count < heap[smallest]!.count) smallest = left;
      if (right < heap.length && heap[right]!.count < heap[smallest]!.count) smallest = right;
      if (smallest === at) return;
      this.#swap(at, smallest);
      at = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    [heap[a], heap[b]] = [heap[b]!, heap[a]!];
    this.#index.set(heap[a]!.id, a);
    this.#index.set(heap[b]!.id, b);
  }
}
