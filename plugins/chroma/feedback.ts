import type { CacheKey, KeyParams, Verdict } from "../../src/index.ts";
import type { ChromaConnection } from "./connection.ts";

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

/**
 * Verdicts on semantic matches, kept in a Chroma collection of their own beside the entries: they
 * survive restarts, every instance sharing the server sees them at once, and clearing the cache
 * keeps them. One record per (query, match) pair; the latest verdict wins. A match is checked by
 * reading its pair's record before it is served: one small request per semantic hit, and the chain
 * back-fills a hit into its exact layers, so a query pays it once.
 */
export class FeedbackStore {
  readonly #connection: ChromaConnection;
  readonly #now: () => number;

  constructor(connection: ChromaConnection, now: () => number) {
    this.#connection = connection;
    this.#now = now;
  }

  async record(key: CacheKey, matchedId: string, matchedText: string, verdict: Verdict, vector: number[]) {
    await this.#connection.run("feedback", (collection) =>
      collection.upsert({
        ids: [pairId(key.id, matchedId)],
        embeddings: [vector],
        documents: [key.text],
        metadatas: [{ ns: key.namespace, params: key.paramsHash, match: matchedId, matchedText, verdict, at: this.#now() }],
      }),
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
