import type { Metadata } from "chromadb";
import { TAG_PREFIX } from "./codec.ts";

/** One question waiting to be written. */
export interface PendingWrite {
  id: string;
  vector: number[];
  text: string;
  metadata: Metadata;
  /** The entry's write stamp. */
  stamp: number;
}

/** At most this many records per upsert: one request stays well inside its deadline. */
const MAX_BATCH = 256;
/** Writes waiting while Chroma is slow; past this the oldest is given up (a cache may lose a write). */
const MAX_QUEUED = 10_000;

/**
 * Writes behind, in batches. Chroma 1.0 serializes writes and a single-record upsert is slow, so
 * concurrent misses writing one by one queue up behind each other (past any sane deadline); one
 * upsert of many records costs far less per record. While a batch is in flight the
 * next one gathers; the latest write of an id wins. Until flushed, lookups see a record from here
 * (`pending` for its own key, `records` for paraphrases).
 */
export class WriteQueue {
  readonly #queue = new Map<string, PendingWrite>();
  readonly #inFlight = new Map<string, PendingWrite>();
  readonly #write: (batch: PendingWrite[]) => Promise<void>;
  #flushing?: Promise<void>;
  /** The batch being sent. */
  #current?: Promise<void>;
  /** Writes given up because the queue was full. */
  dropped = 0;

  /** `write` must not reject: it reports its own failures. */
  constructor(write: (batch: PendingWrite[]) => Promise<void>) {
    this.#write = write;
  }

  get size(): number {
    return this.#queue.size;
  }

  /** Queue a write; returns the flush it joins when one had to be started, for the caller to track. */
  put(record: PendingWrite): Promise<void> | undefined {
    this.#queue.delete(record.id);
    if (this.#queue.size >= MAX_QUEUED) {
      this.#queue.delete(this.#queue.keys().next().value!);
      this.dropped++;
    }
    this.#queue.set(record.id, record);
    if (this.#flushing) return undefined;
    this.#flushing = this.#drain().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /** The not yet written record of an id: queued, or in the batch being sent. */
  pending(id: string): PendingWrite | undefined {
    return this.#queue.get(id) ?? this.#inFlight.get(id);
  }

  /** Every record not yet written, queued or in flight. */
  records(): PendingWrite[] {
    return [...this.#inFlight.values(), ...this.#queue.values()];
  }

  /** Forget queued writes an invalidation covers, then wait for the batch in flight: a delete sent now lands after it. */
  async drop(matches: (record: PendingWrite) => boolean): Promise<void> {
    for (const [id, record] of this.#queue) if (matches(record)) this.#queue.delete(id);
    await this.#current;
  }

  /** Resolves once every queued write has been sent. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.size) {
      const batch = [...this.#queue.values()].slice(0, MAX_BATCH);
      for (const record of batch) {
        this.#queue.delete(record.id);
        this.#inFlight.set(record.id, record);
      }
      this.#current = this.#write(batch);
      await this.#current;
      this.#inFlight.clear();
    }
    this.#current = undefined;
  }
}

export const hasAnyTag = (tags: readonly string[]) => (record: PendingWrite) =>
  tags.some((tag) => record.metadata[`${TAG_PREFIX}${tag}`] === true);
