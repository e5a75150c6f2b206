import type { CacheKey, Invalidation } from "../types.ts";

/** How many tags, namespaces and keys' latest invalidations a chain remembers, each. */
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
  #namespaces = new Map<string, Mark>();
  #tags = new Map<string, Mark>();
  #ids = new Map<string, Mark>();
  #max: number;

  constructor(max = REMEMBERED) {
    this.#max = max;
  }

  /** Now, for a read or load that starts: compare with `covers` later. */
  get generation(): number {
    return this.#generation;
  }

  /** An invalidation starts; call the answer once every layer has applied it. */
  begin(invalidation: Invalidation): () => void {
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
    return this.begin({ type: "delete", ids: [id] });
  }

  /** Whether an invalidation covering the key or one of the tags ran since generation `since`. */
  covers(since: number, key: CacheKey, tags: readonly string[] | undefined): boolean {
    // The common case: nothing ran or ended since the read started.
    if (this.#running === 0 && since >= this.#generation) return false;
    if (this.#forgotten > since) return true;
    if (after(this.#all, since) || after(this.#namespaces.get(key.namespace), since) || after(this.#ids.get(key.id), since))
      return true;
    for (const tag of tags ?? []) if (after(this.#tags.get(tag), since)) return true;
    return false;
  }

  #marksOf(invalidation: Invalidation): Mark[] {
    if (invalidation.type === "clear")
      return [invalidation.namespace === undefined ? this.#all : this.#mark(this.#namespaces, invalidation.namespace)];
    if (invalidation.type === "tags") return invalidation.tags.map((tag) => this.#mark(this.#tags, tag));
    return invalidation.ids.map((id) => this.#mark(this.#ids, id));
  }

  /** The scope's mark, made the most recent; the oldest idle mark goes once the bound is passed. */
  #mark(marks: Map<string, Mark>, name: string): Mark {
    const mark = marks.get(name) ?? { generation: 0, running: 0 };
    marks.delete(name);
    marks.set(name, mark);
    if (marks.size > this.#max) {
      for (const [oldest, old] of marks) {
        if (old.running > 0) continue;
        marks.delete(oldest);
        this.#forgotten = Math.max(this.#forgotten, old.generation);
        break;
      }
    }
    return mark;
  }
}

function after(mark: Mark | undefined, since: number): boolean {
  return mark !== undefined && (mark.running > 0 || mark.generation > since);
}
