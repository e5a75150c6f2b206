import type { Cache } from "../chain/cache.ts";
import { toMs } from "../duration.ts";
import { assertNamespace, sha256Hex } from "../key.ts";
import type { Resolution } from "../options.ts";
import type { Duration, KeyParams, MaybePromise } from "../types.ts";
import { CorpusVersion, type CorpusOptions, type CorpusRecord } from "./corpus.ts";

export { CORPUS_NAMESPACE, CorpusVersion, type CorpusOptions, type CorpusRecord } from "./corpus.ts";

/** A source document's id, as the retriever knows it; retrievals and answers are tagged with it. */
export type DocumentId = string | number;

/** The three cached stages of a RAG pipeline, each a namespace of its own. */
export type RagStage = "expansion" | "retrieval" | "answer";

/** One stage's namespace and freshness, in `RagCacheOptions`. */
export interface RagStageOptions {
  /** Namespace of the stage's entries. Default: the stage's name ("expansion", "retrieval", "answer"). */
  namespace?: string;
  /** How long an entry stays fresh. Defaults: expansion "1d", retrieval "1h", answer "10m". */
  ttl?: Duration;
  /** After expiry, how long an entry is still served when the loader fails. Default: the chain's `defaultGrace`. */
  grace?: Duration;
}

/**
 * What `new RagCache` takes: the chain, each stage's settings, and how to find document ids.
 * @example
 * ```ts
 * new RagCache({ cache, retrieval: { ttl: "30m" }, documentIds: (docs) => (docs as { docId: string }[]).map((d) => d.docId) });
 * ```
 */
export interface RagCacheOptions {
  /** The chain the three caches live in. Required. */
  cache: Cache;
  expansion?: RagStageOptions;
  retrieval?: RagStageOptions;
  answer?: RagStageOptions;
  /**
   * The ids of the documents a retrieval result holds, for tagging. Default: the `id` of each element
   * when the result is an array of objects with one (`[{ id: "17", text: "…" }]`), else none.
   */
  documentIds?: (documents: unknown) => readonly DocumentId[];
  /**
   * The corpus (index) version retrievals and answers are keyed by: they live in
   * `<namespace>.<version>`, and `bumpCorpusVersion()` moves every process sharing the chain to a new
   * one. Default: no version until the first bump.
   */
  corpus?: CorpusOptions;
}

/** The stages whose entries depend on the corpus, and so carry its version. */
const VERSIONED: readonly RagStage[] = ["retrieval", "answer"];

const DEFAULT_TTL: Record<RagStage, Duration> = { expansion: "1d", retrieval: "1h", answer: "10m" };

/** Longer ids are tagged by their SHA-256, so that any id (a long URL) fits in a tag's 256 characters. */
const LONGEST_TAGGED_ID = 200;

/**
 * The tag a cached retrieval or answer carries for each document it used: `doc:<id>`, or
 * `doc:sha256:<hex>` for an id longer than 200 characters.
 * @example
 * ```ts
 * await cache.invalidateTags([documentTag(17)]); // the same as rag.invalidateDocuments([17])
 * ```
 */
export function documentTag(id: DocumentId): string {
  const text = String(id);
  return text.length > LONGEST_TAGGED_ID ? `doc:sha256:${sha256Hex(text)}` : `doc:${text}`;
}

/**
 * Default of `documentIds`: the `id` fields of an array of documents.
 * @example
 * ```ts
 * idsOfDocuments([{ id: "17", text: "…" }, { id: 4 }]); // ["17", 4]
 * ```
 */
export function idsOfDocuments(documents: unknown): DocumentId[] {
  if (!Array.isArray(documents)) return [];
  return documents.flatMap((doc) => {
    const id = (doc as { id?: unknown } | null)?.id;
    return typeof id === "string" || typeof id === "number" ? [id] : [];
  });
}

/**
 * The three caches of a RAG pipeline over one chain, each in its own namespace with its own TTL.
 * Retrievals and answers are tagged with the documents they used, so `invalidateDocuments` removes
 * everything that was derived from a changed document, in every layer.
 * @example
 * ```ts
 * const rag = new RagCache({ cache });
 * const { value: docs } = await rag.retrieve(query, { k: 5 }, (q, params) => retriever.search(q, params));
 * await rag.invalidateDocuments(["17"]); // document 17 changed
 * ```
 */
export class RagCache {
  readonly cache: Cache;
  #stages: Record<RagStage, Required<Pick<RagStageOptions, "namespace" | "ttl">> & RagStageOptions>;
  #documentIds: (documents: unknown) => readonly DocumentId[];
  #corpus: CorpusVersion;

  constructor(options: RagCacheOptions) {
    this.cache = options.cache;
    const stage = (name: RagStage) => ({ namespace: name, ttl: DEFAULT_TTL[name], ...options[name] });
    this.#stages = { expansion: stage("expansion"), retrieval: stage("retrieval"), answer: stage("answer") };
    for (const [name, { namespace, ttl, grace }] of Object.entries(this.#stages)) {
      assertNamespace(namespace);
      toMs(ttl, `${name}.ttl`);
      if (grace !== undefined) toMs(grace, `${name}.grace`);
    }
    this.#documentIds = options.documentIds ?? idsOfDocuments;
    this.#corpus = new CorpusVersion(
      this.cache,
      options.corpus ?? {},
      VERSIONED.map((stage) => this.#stages[stage].namespace),
    );
  }

  /** The corpus version retrievals and answers are keyed by now ("" before any version was set). */
  async corpusVersion(): Promise<string> {
    return this.#corpus.current();
  }

  /**
   * Moves every process sharing the chain to a new corpus version (after re-indexing): their next
   * retrievals and answers miss and load from the new index. The old version's entries age out by
   * their TTL, or go at once with `cleanupCorpusVersions()`. Answers the version and the earlier ones.
   */
  bumpCorpusVersion(version?: string): Promise<CorpusRecord> {
    return this.#corpus.bump(version);
  }

  /** Deletes the retrievals and answers of every earlier corpus version, in every layer; answers those versions. */
  cleanupCorpusVersions(): Promise<string[]> {
    return this.#corpus.cleanup();
  }

  /** Expanded queries for a query; `params` (model, prompt version …) take part in the key. */
  expand<Q = string[]>(query: string, loader: (query: string) => MaybePromise<Q>, params?: KeyParams): Promise<Resolution<Q>> {
    return this.#resolve("expansion", query, params, () => loader(query));
  }

  /** Documents for a query and retrieval parameters (top-k, filters, index …), tagged with their ids. */
  retrieve<D>(
    query: string,
    params: KeyParams,
    loader: (query: string, params: KeyParams) => MaybePromise<D>,
  ): Promise<Resolution<D>> {
    return this.#resolve(
      "retrieval",
      query,
      params,
      () => loader(query, params),
      (documents) => this.#documentIds(documents).map(documentTag),
    );
  }

  /** The answer to a query from these documents with these model parameters, tagged with the documents. */
  answer<A>(
    query: string,
    documentIds: readonly DocumentId[],
    params: KeyParams,
    loader: () => MaybePromise<A>,
  ): Promise<Resolution<A>> {
    const documents = [...new Set(documentIds.map(String))].sort();
    const tags = documents.map(documentTag);
    return this.#resolve("answer", query, { ...params, documents }, loader, () => tags);
  }

  /** Remove every cached retrieval and answer that used any of these documents, in every layer. */
  invalidateDocuments(ids: readonly DocumentId[]): Promise<void> {
    return this.cache.invalidateTags(ids.map(documentTag));
  }

  /** Empty one stage, or all three (retrievals and answers: of the current corpus version). */
  async clear(stage?: RagStage): Promise<void> {
    const stages = stage ? [stage] : (Object.keys(this.#stages) as RagStage[]);
    const version = await this.#corpus.current();
    const namespaceOf = (name: RagStage) =>
      VERSIONED.includes(name) ? this.#corpus.namespaceOf(this.#stages[name].namespace, version) : this.#stages[name].namespace;
    await Promise.all(stages.map((name) => this.cache.clear(namespaceOf(name))));
  }

  #resolve<V>(
    stage: RagStage,
    query: string,
    params: KeyParams | undefined,
    loader: () => MaybePromise<V>,
    tags?: (value: V) => readonly string[],
  ): Promise<Resolution<V>> {
    const { namespace, ttl, grace } = this.#stages[stage];
    const run = (version: string) =>
      this.cache.resolve<V>(query, loader, { namespace: this.#corpus.namespaceOf(namespace, version), params, ttl, grace, tags });
    if (!VERSIONED.includes(stage)) return run("");
    const version = this.#corpus.current();
    return version instanceof Promise ? version.then(run) : run(version);
  }
}
