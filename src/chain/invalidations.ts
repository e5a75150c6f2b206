import type { CacheKey, Invalidation } from "../types.ts";
import { RecentMap } from "./recent-map.ts";

/** How many tags, namespaces and keys' latest invalidations a chain remembers at least, each. */
const REMEMBERED = 10_000;

/** The latest invalidation of one scope: when it ended, and how many are running now. */
interface Mark {
  generation: number;
  running: number;
}

/**
 * The latest invalidations this chain ran or heard of (tags, namespace and full clears, keys deleted
 * by another process, keys this chain wrote or deleted), ordered by a generation counter rather than
 * by clocks, so that a clock running ahead elsewhere changes nothing. A read of a slower layer
 * notes the generation when it starts; when its answer is to be copied into the faster layers (a
 * back-fill), or a load's value is to be stored, an invalidation covering that entry which was running
 * meanwhile or ended after that start means the answer may predate it: it is served but not stored,
 * so it cannot come back into the layers the invalidation just emptied.
 */
export class Invalidations {
  #generation = 0;
  /** Invalidations begun and not yet ended. */
  #running = 0;
  /** The newest generation forgotten to stay within bounds: anything read before it counts as covered. */
  #forgotten = 0;
  #all: Mark = { generation: 0, running: 0 };
  #namespaces: RecentMap<Mark>;
  #tags: RecentMap<Mark>;
  /** Keys being written or deleted now, and by how many changes. */
  #changing = new Map<string, number>();
  /** The generation each recent change of a key ended at. */
  #changed: RecentMap<number>;

  constructor(max = REMEMBERED) {
    this.#namespaces = new RecentMap<Mark>(max, (dropped) => this.#dropMarks(this.#namespaces, dropped));
    this.#tags = new RecentMap<Mark>(max, (dropped) => this.#dropMarks(this.#tags, dropped));
    this.#changed = new RecentMap<number>(max, (dropped) => {
      for (const generation of dropped.values()) this.#forget(generation);
    });
  }

  /** Now, for a read or load that starts: compare with `covers` later. */
  get generation(): number {
    return this.#generation;
  }

  /** An invalidation starts; call the answer once every layer has applied it. */
  begin(invalidation: Invalidation): () => void {
    if (invalidation.type === "delete") {
      const ends = invalidation.ids.map((id) => this.beginWrite(id));
      return () => {
        for (const end of ends) end();
      };
    }
    const marks = this.#marksOf(invalidation);
    for (const mark of marks) mark.running++;
    this.#running++;
    return () => {
      this.#running--;
      const generation = ++this.#generation;
      for (const mark of marks) {
        mark.running--;
        mark.generation = generation;
      }
    };
  }

  /** This chain starts writing or deleting the key: reads of it that started before must not back-fill. */
  beginWrite(id: string): () => void {
    this.startWrite(id);
    return () => this.endWrite(id);
  }

  /** `beginWrite` without the closure, for the write path: pair it with `endWrite`. */
  startWrite(id: string): void {
    this.#running++;
    this.#changing.set(id, (this.#changing.get(id) ?? 0) + 1);
  }

  endWrite(id: string): void {
    this.#running--;
    const left = this.#changing.get(id)! - 1;
    if (left === 0) this.#changing.delete(id);
    else this.#changing.set(id, left);
    this.#changed.set(id, ++this.#generation);
  }

  /** Whether an invalidation covering the key or one of the tags ran since generation `since`. */
  covers(since: number, key: CacheKey, tags: readonly string[] | undefined): boolean {
    // The common case: nothing ran or ended since the read started.
    if (this.#running === 0 && since >= this.#generation) return false;
    if (this.#forgotten > since) return true;
    if (this.#changing.has(key.id) || (this.#changed.get(key.id) ?? 0) > since) return true;
    if (after(this.#all, since) || after(this.#namespaces.get(key.namespace), since)) return true;
    for (const tag of tags ?? []) if (after(this.#tags.get(tag), since)) return true;
    return false;
  }

  #marksOf(invalidation: Exclude<Invalidation, { type: "delete" }>): Mark[] {
    if (invalidation.type === "clear")
      return [invalidation.namespace === undefined ? this.#all : this.#mark(this.#namespaces, invalidation.namespace)];
    return invalidation.tags.map((tag) => this.#mark(this.#tags, tag));
  }

  /** The scope's mark, kept among the most recent. */
  #mark(marks: RecentMap<Mark>, name: string): Mark {
    const mark = marks.get(name) ?? { generation: 0, running: 0 };
    marks.set(name, mark);
    return mark;
  }

  /** Marks of an older generation: still running ones are kept, the others forgotten. */
  #dropMarks(marks: RecentMap<Mark>, dropped: Map<string, Mark>): void {
    for (const [name, mark] of dropped) {
      if (mark.running > 0 && !marks.hasRecent(name)) marks.set(name, mark);
      else if (mark.running === 0) this.#forget(mark.generation);
    }
  }

  #forget(generation: number): void {
    if (generation > this.#forgotten) this.#forgotten = generation;
  }
}

function after(mark: Mark | undefined, since: number): boolean {
  return mark !== undefined && (mark.running > 0 || mark.generation > since);
}
