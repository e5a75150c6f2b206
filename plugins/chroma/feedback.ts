import type { CacheKey, KeyParams } from "../../src/index.ts";
import type { ChromaConnection } from "./connection.ts";

/** "wrong": the match must never answer this query again; "right": a confirmed pair. */
export type Verdict = "wrong" | "right";

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

/** How often the pairs judged wrong are read again, for verdicts given by other instances. */
const REFRESH_MS = 5_000;

/**
 * Verdicts on semantic matches, kept in a Chroma collection of their own beside the entries: they
 * survive restarts, every instance sharing the server sees them (within a few seconds), and
 * clearing the cache keeps them. One record per (query, match) pair; the latest verdict wins. The
 * pairs judged wrong are held in memory, read once before the first check and again in the
 * background every few seconds, so a semantic hit costs no extra request.
 */
export class FeedbackStore {
  readonly #connection: ChromaConnection;
  readonly #now: () => number;
  #wrong = new Set<string>();
  /** Verdicts given here while a read is under way: the read must not undo them. */
  readonly #recent = new Map<string, Verdict>();
  #loaded?: Promise<void>;
  #loadedAt = 0;
  #refreshing = false;

  constructor(connection: ChromaConnection, now: () => number) {
    this.#connection = connection;
    this.#now = now;
  }

  async record(key: CacheKey, matchedId: string, matchedText: string, verdict: Verdict, vector: number[]) {
    const id = pairId(key.id, matchedId);
    this.#apply(id, verdict);
    this.#recent.set(id, verdict);
    await this.#connection.run("feedback", (collection) =>
      collection.upsert({
        ids: [id],
        embeddings: [vector],
        documents: [key.text],
        metadatas: [{ ns: key.namespace, params: key.paramsHash, match: matchedId, matchedText, verdict, at: this.#now() }],
      }),
    );
  }

  /** Whether the pair was judged wrong, here or by any instance sharing the server. */
  async isWrong(queryId: string, matchedId: string): Promise<boolean> {
    this.#loaded ??= this.#read().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    await this.#loaded;
    if (this.#now() - this.#loadedAt >= REFRESH_MS && !this.#refreshing) {
      this.#refreshing = true;
      this.#read()
        .catch(() => {})
        .finally(() => (this.#refreshing = false));
    }
    return this.#wrong.has(pairId(queryId, matchedId));
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

  async #read(): Promise<void> {
    this.#recent.clear();
    const found = await this.#connection.run("feedback", (collection) =>
      collection.get({ where: { verdict: { $eq: "wrong" } }, include: [] }),
    );
    const wrong = new Set(found.ids);
    for (const [id, verdict] of this.#recent) {
      if (verdict === "wrong") wrong.add(id);
      else wrong.delete(id);
    }
    this.#wrong = wrong;
    this.#loadedAt = this.#now();
  }

  #apply(id: string, verdict: Verdict): void {
    if (verdict === "wrong") this.#wrong.add(id);
    else this.#wrong.delete(id);
  }
}

const pairId = (queryId: string, matchedId: string) => `${queryId}>${matchedId}`;
