import { RecentMap } from "./recent-map.ts";

/** How many keys' newest write stamps a chain remembers, at least. */
const REMEMBERED_KEYS = 100_000;

/**
 * The newest write stamp this chain gave each recently written or deleted key. A back-fill copies
 * an entry read from a lower layer into the faster ones; when a write of the same key got in
 * between, the copy is older than that write and is dropped, even when the write itself already
 * left the faster layer (evicted). A back-fill is late by at most the slower layer's timeout, so
 * the most recent keys are enough: the older ones are forgotten once the bound is reached.
 */
export class NewestWrites {
  #stamps: RecentMap<number>;

  constructor(max = REMEMBERED_KEYS) {
    this.#stamps = new RecentMap(max);
  }

  /**
   * A write or delete of the key with this stamp. Stamps come in the order `nextStamp` made them (an
   * entry is written in the same turn it is made), so the last one recorded is the newest: no lookup.
   */
  record(id: string, stamp: number): void {
    this.#stamps.set(id, stamp);
  }

  /** Whether the chain wrote or deleted the key after the entry with this stamp was written. */
  supersedes(id: string, stamp: number): boolean {
    const newest = this.#stamps.get(id);
    return newest !== undefined && newest > stamp;
  }
}
