import type { Collection, Metadata } from "chromadb";
import type { CacheKey, KeyParams, Verdict } from "../../src/index.ts";
import type { ChromaConnection } from "./connection.ts";
import type { PendingWrite } from "./writes.ts";

export type { Verdict };

/** A user's judgement of one semantic match, as `layer.feedback()` takes it. */
export interface Feedback {
  /** The question that was asked. */
  query: string;
  namespace?: string;
  params?: KeyParams;
  /** The stored question that answered it (`matchedText` of the lookup). */
  matchedText: string;
  verdict: Verdict;
}

/** Entry metadata: the write stamp of the entry's version whose verdicts were read after it was written. */
const CHECKED = "fbChecked";
/** Entry metadata: true once a "wrong" verdict names the entry as the match; never unset while it exists. */
const JUDGED = "fbJudged";

/**
 * Whether no "wrong" verdict names this stored entry (version `stamp`) as a match, known from its
 * metadata alone: it was checked after it was written and nobody judged it since (see FeedbackStore).
 */
export const unjudged = (metadata: Metadata, stamp: number): boolean => metadata[CHECKED] === stamp && metadata[JUDGED] !== true;

/** The mark `markChecked` leaves on the entry of write stamp `stamp` when no verdict names it. */
export const checkedMark = (stamp: number): Metadata => ({ [CHECKED]: stamp });

/**
 * Verdicts on semantic matches, kept in a Chroma collection of their own beside the entries: they
 * survive restarts, every instance sharing the server sees them at once, and clearing the cache
 * keeps them. One record per (query, match) pair; the latest verdict wins.
 *
 * A match is checked against its pair's record before it is served, unless its entry's own metadata
 * (which came with the neighbour query, so is as fresh as the match) shows that no "wrong" verdict
 * names it: a second request on every semantic hit cost about as much as the query. That needs two
 * marks on the entry. `record` sets JUDGED on the matched entry (a no-op when it is absent), stores
 * a "wrong" verdict, then sets JUDGED again. After each write batch, `markChecked` reads the
 * verdicts naming the batch's entries and only then sets CHECKED to each one's write stamp (and
 * JUDGED where some were found). A verdict stored before that read is found by it; one stored after finds the entry
 * written, so sets JUDGED on it. A mark from an older version's check does not match a newer
 * stamp, so an entry deleted and written again is unchecked until its own check: in between, and
 * for entries written by older versions or still queued, the verdict is read per hit as before.
 */
export class FeedbackStore {
  readonly #connection: ChromaConnection;
  readonly #entries: ChromaConnection;
  readonly #now: () => number;

  /** `connection` holds the verdicts, `entries` the layer's entries (for the marks). */
  constructor(connection: ChromaConnection, entries: ChromaConnection, now: () => number) {
    this.#connection = connection;
    this.#entries = entries;
    this.#now = now;
  }

  async record(key: CacheKey, matchedId: string, matchedText: string, verdict: Verdict, vector: number[]) {
    // Before the verdict too: a verdict that lands although its request failed (a late answer, a
    // process killed after it) must not leave a checked entry unjudged (see the class comment).
    if (verdict === "wrong") await this.#entries.run("feedback", (collection) => judge(collection, matchedId));
    await this.#connection.run("feedback", (collection) =>
      collection.upsert({
        ids: [pairId(key.id, matchedId)],
        embeddings: [vector],
        documents: [key.text],
        metadatas: [{ ns: key.namespace, params: key.paramsHash, match: matchedId, matchedText, verdict, at: this.#now() }],
      }),
    );
    // After it again, for an entry written and checked in between; kept and replayed first if Chroma cannot be reached.
    if (verdict === "wrong") await this.#entries.invalidate("feedback", (collection) => judge(collection, matchedId));
  }

  /** Marks a batch just written as checked for verdicts, and the judged ones as judged (see the class comment). */
  async markChecked(batch: readonly PendingWrite[], timeoutMs: number): Promise<void> {
    const found = await this.#connection.run("feedback", (collection) =>
      collection.get({
        where: { $and: [{ match: { $in: batch.map((record) => record.id) } }, { verdict: { $eq: "wrong" } }] },
        include: ["metadatas"],
      }),
    );
    const judged = new Set(found.metadatas.map((metadata) => metadata?.match));
    await this.#entries.run(
      "set",
      (collection) =>
        collection.update({
          ids: batch.map((record) => record.id),
          metadatas: batch.map((record) => ({ ...checkedMark(record.stamp), ...(judged.has(record.id) && { [JUDGED]: true }) })),
        }),
      timeoutMs,
    );
  }

  /** Whether the pair was judged wrong, here or by any instance sharing the server. */
  async isWrong(queryId: string, matchedId: string): Promise<boolean> {
    const found = await this.#connection.run("feedback", (collection) =>
      collection.get({ ids: [pairId(queryId, matchedId)], where: { verdict: { $eq: "wrong" } }, include: [] }),
    );
    return found.ids.length > 0;
  }

  /** Every verdict recorded on the server, for calibration. */
  async all(): Promise<Feedback[]> {
    const found = await this.#connection.run("feedback", (collection) => collection.get({ include: ["metadatas", "documents"] }));
    return found.ids.map((_, i) => {
      const metadata = found.metadatas[i] ?? {};
      return {
        query: found.documents[i] ?? "",
        namespace: String(metadata.ns),
        matchedText: String(metadata.matchedText),
        verdict: metadata.verdict === "right" ? "right" : "wrong",
      };
    });
  }
}

const pairId = (queryId: string, matchedId: string) => `${queryId}>${matchedId}`;

/** Sets JUDGED on the entry `id` (a no-op when it is absent; upserts merge metadata, so re-writes keep it). */
const judge = (collection: Collection, id: string) => collection.update({ ids: [id], metadatas: [{ [JUDGED]: true }] });
