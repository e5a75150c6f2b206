/** A call waiting for its deadline: `at` is set when it is queued, `done` once it settled or expired. */
export interface Waiting {
  at: number;
  done: boolean;
  /** Called once `at` has passed while not `done` (which is set first). */
  expire(): void;
}

/** Settled calls at the front of the queue are dropped in batches of at least this many. */
const COMPACT_AFTER = 1_024;

/**
 * Deadlines of calls that all wait the same time, oldest first, behind one timer: a deadline per
 * layer call without a setTimeout and clearTimeout per call. The timer is unref'd, so waiting
 * calls do not keep a process alive by themselves.
 */
export class Deadlines {
  #ms: number;
  #queue: Waiting[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Calls `waiting.expire()` once `ms` have passed, unless it is marked done before. */
  add(waiting: Waiting): void {
    waiting.at = performance.now() + this.#ms;
    this.#dropSettled();
    this.#queue.push(waiting);
    if (!this.#timer) this.#arm(this.#ms);
  }

  #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head < this.#queue.length) {
      const waiting = this.#queue[this.#head]!;
      if (!waiting.done && waiting.at > now) break;
      this.#head++;
      if (!waiting.done) {
        waiting.done = true;
        waiting.expire();
      }
    }
    this.#dropSettled();
    if (this.#head < this.#queue.length) this.#arm(Math.max(1, this.#queue[this.#head]!.at - now));
  };

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#fire, ms);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #dropSettled(): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.done) this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
