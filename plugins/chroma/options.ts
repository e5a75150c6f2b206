import { z } from "zod";
import { durationSchema, type CacheLayer, type Duration, type KeyOptions, type LayerHit } from "../../src/index.ts";
import type { Embedder } from "./embedders/index.ts";
import type { GuardOptions, SemanticGuard } from "./guard.ts";
import type { LexiconOptions } from "./lexicon.ts";
import type { Feedback } from "./feedback.ts";
import type { Refusal } from "./lookup.ts";
import type { Verifier } from "./verify.ts";

/** The embedder as plain config: a built-in by name, or with its options. */
export type EmbedderConfig = z.infer<typeof embedderSchema>;

/**
 * What `chroma()` takes: the server and collection, the embedder, when a neighbour may answer
 * (thresholds, guard) and the vocabulary the guard and the embedded text share.
 * @example
 * ```ts
 * chroma({ url: "http://127.0.0.1:8000", collection: "ragcache", thresholds: { answer: 0.7 }, namespaces: ["retrieval", "answer"] });
 * ```
 */
export interface ChromaOptions extends LexiconOptions {
  /** Layer name in events, stats and X-Cache-Layer. Default "chroma". */
  name?: string;
  /** Chroma server. Default "http://127.0.0.1:8000" (env `RAG_CHROMA_URL`). */
  url?: string;
  /** Extra HTTP headers for every request, e.g. `{ "x-chroma-token": "…" }`. Default none. */
  headers?: Record<string, string>;
  /**
   * Collection holding the questions; created with the cosine space when missing. Use one per
   * embedder: Chroma fixes the vector length at the first write. Default "ragcache".
   */
  collection?: string;
  /** Turns query texts into vectors: an `Embedder`, or as config "local" / `{ type: "openai", model }`. Default `localEmbedder()`. */
  embedder?: Embedder | EmbedderConfig;
  /**
   * Least cosine similarity for a stored question to answer a new one, from 0 to 1. Default: the
   * embedder's own hint (0.6 for the local embedder, 0.9 for OpenAI), else 0.9; at least 0.9 with
   * `guard: false` (env `RAG_SEMANTIC_THRESHOLD`).
   */
  threshold?: number;
  /**
   * Thresholds of single namespaces, overriding `threshold` there: retrieval may accept looser
   * matches than answers, e.g. `{ retrieval: 0.6, answer: 0.85 }` (env `RAG_SEMANTIC_THRESHOLDS` as JSON).
   */
  thresholds?: Record<string, number>;
  /**
   * The false-positive check run on a close match before it is served: `true` for `meaningGuard()`
   * (numbers, negations, content words and their direction must agree), its options, your own
   * function, or `false` to trust similarity alone. Default true. The layer's `abbreviations`,
   * `synonyms` and `fillers` apply to the built-in guard and to the text embedded.
   */
  guard?: boolean | GuardOptions | SemanticGuard;
  /**
   * A second opinion on borderline matches: called only when a match that passed the guard has a
   * similarity below the threshold + `band`; not served when it says no, fails or is later than
   * `timeout`. `verifier` is your own `(query, candidate) => Promise<boolean>`; without one,
   * `chatVerifier({ model, baseURL, apiKeyEnv })` asks an OpenAI-compatible chat endpoint.
   * Defaults: band 0.05, timeout "800ms" (keep it below the chain's `layerTimeout`). Default: no verifier.
   */
  verify?: VerifyOptions;
  /**
   * Neighbours fetched per lookup; the closest of the key's namespace and parameters that passes the
   * guard wins. When all of them are close enough but unusable and some belong to other namespaces
   * or parameters, a second query filtered to the key's own fetches as many again. Default 10.
   */
  candidates?: number;
  /**
   * Deadline of one Chroma request. Keep it below the chain's `layerTimeout` (default 1s), so that
   * the layer sees the timeout itself and stops calling a hanging server for `retryAfter`. Default "750ms".
   */
  timeout?: Duration;
  /** After Chroma is found unreachable, calls fail at once (a miss) for this long before it is tried again. Default "1s". */
  retryAfter?: Duration;
  /** How often expired entries are deleted from the collection, checked on use. Default "1m". */
  sweepInterval?: Duration;
  /**
   * The namespaces the layer embeds and matches (e.g. `["retrieval", "answer"]`); entries of any
   * other namespace pass by it as misses, unembedded (HTTP responses cached by the middleware have
   * nothing to match by meaning). Default: every namespace.
   */
  namespaces?: string[];
}

export const embedderSchema = z.union([
  z.enum(["local", "openai"]),
  z.strictObject({
    type: z.literal("local"),
    dimensions: z.number().int().min(8).max(65_536).optional(),
    stopWordWeight: z.number().min(0).max(1).optional(),
  }),
  z.strictObject({
    type: z.literal("openai"),
    model: z.string().min(1).optional(),
    baseURL: z.url().optional(),
    apiKeyEnv: z.string().min(1).optional(),
    dimensions: z.number().int().positive().optional(),
    batchSize: z.number().int().positive().optional(),
    timeout: z.number().positive().optional(),
    threshold: z.number().gt(0).max(1).optional(),
  }),
]);

const synonymsSchema = z.array(z.array(z.string().min(1)).min(2));
const abbreviationsSchema = z.record(z.string().min(1), z.string().min(1));
const fillersSchema = z.array(z.string().min(1));

const verifySchema = z.strictObject({
  model: z.string().min(1).optional(),
  baseURL: z.url().optional(),
  apiKeyEnv: z.string().min(1).optional(),
  band: z.number().min(0).max(1).optional(),
  timeout: durationSchema.optional(),
});

/** The `verify` option: your verifier, or the built-in chat verifier's settings, and when to call it. */
export type VerifyOptions = z.input<typeof verifySchema> & { verifier?: Verifier };

const guardSchema = z.strictObject({
  numbers: z.boolean().optional(),
  negations: z.boolean().optional(),
  contentWords: z.boolean().optional(),
  order: z.boolean().optional(),
  typos: z.boolean().optional(),
  synonyms: synonymsSchema.optional(),
  abbreviations: abbreviationsSchema.optional(),
  fillers: fillersSchema.optional(),
  ignore: z.array(z.string().min(1)).optional(),
});

const COLLECTION = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{1,510})[a-zA-Z0-9]$/;

/** Options as plain config (`{ "use": "chroma", "url": "http://127.0.0.1:8000" }`), validated at load time. */
export const configSchema = z
  .object({
    name: z.string().min(1),
    url: z.url(),
    headers: z.record(z.string(), z.string()),
    collection: z
      .string()
      .regex(COLLECTION, "3-512 characters of a-z, A-Z, 0-9, '.', '_', '-', starting and ending with a letter or digit"),
    embedder: embedderSchema,
    threshold: z.number().gt(0).max(1),
    thresholds: z.record(z.string().min(1), z.number().gt(0).max(1)),
    abbreviations: abbreviationsSchema,
    synonyms: synonymsSchema,
    fillers: fillersSchema,
    guard: z.union([z.boolean(), guardSchema]),
    verify: verifySchema,
    candidates: z.number().int().min(1).max(1000),
    timeout: durationSchema,
    retryAfter: durationSchema,
    sweepInterval: durationSchema,
    namespaces: z.array(z.string().min(1)).min(1),
  })
  .partial()
  .strict();

/**
 * `RAG_SEMANTIC_THRESHOLD=0.85` sets `threshold` and `RAG_SEMANTIC_THRESHOLDS='{"answer":0.9}'` sets
 * `thresholds` (besides `RAG_CHROMA_THRESHOLD(S)`); `RAG_SEMANTIC_ABBREVIATIONS` and
 * `RAG_SEMANTIC_SYNONYMS` take JSON too.
 */
export const envAliases = {
  RAG_SEMANTIC_THRESHOLD: "threshold",
  RAG_SEMANTIC_THRESHOLDS: "thresholds",
  RAG_SEMANTIC_ABBREVIATIONS: "abbreviations",
  RAG_SEMANTIC_SYNONYMS: "synonyms",
};

/** What `explain` found for a query: the match it would serve, and the close ones it refused and why. */
export interface Explanation {
  hit?: LayerHit;
  refused: Refusal[];
}

/** The semantic layer plus what it can tell beyond the contract. */
export type ChromaLayer = CacheLayer & {
  readonly embedder: Embedder;
  readonly threshold: number;
  /** The threshold applied in a namespace (`thresholds[namespace]`, else `threshold`). */
  thresholdOf(namespace: string): number;
  /**
   * The lookup `get` would make for a query, told in full: the match served, if any, and every
   * close stored question refused, with the reason ("number differs: 5 vs 10", "similarity 0.61
   * below threshold 0.7"). Counts like a lookup; emits no events.
   */
  explain(query: string, options?: KeyOptions): Promise<Explanation>;
  /**
   * Record a user's verdict on a semantic match. "wrong": that stored question never answers this
   * query again (kept in Chroma beside the entries: across restarts and instances), and the copy
   * back-filled under the query's key leaves the exact layers at once. "right": a confirmed pair.
   * Counted in `stats()` (`rejected`, `confirmed`, `judgedWrong` for matches refused since).
   */
  feedback(feedback: Feedback): Promise<void>;
  /**
   * `feedback` with verdict "wrong" for a lookup's answer.
   * @example
   * ```ts
   * const hit = await cache.lookup("how do I reset my email password");
   * if (hit && userSaysWrong) await semantic.reject("how do I reset my email password", hit);
   * ```
   */
  reject(query: string, lookup: { matchedText?: string }, options?: KeyOptions): Promise<void>;
  /** Every verdict recorded with `feedback` on this layer's server and collection. */
  recordedFeedback(): Promise<Feedback[]>;
  /**
   * How the layer judges a pair without storing anything: the similarity of the two questions (its
   * embedder, its vocabulary) and the guard's verdict. What `bun run calibrate` measures.
   */
  score(query: string, candidate: string): Promise<{ similarity: number; verdict: true | string }>;
  /** Delete every entry whose grace (or expiry) has passed; runs by itself every `sweepInterval`. */
  purgeExpired(): Promise<void>;
  /** Resolves once every queued write has reached Chroma (writes go behind, in batches). */
  flush(): Promise<void>;
};
