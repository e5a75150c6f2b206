import { z } from "zod";
import {
  durationSchema,
  functionSchema,
  positiveDurationSchema,
  type CacheKey,
  type CacheLayer,
  type KeyOptions,
  type LayerHit,
  type Verdict,
} from "../../src/index.ts";
import type { Embedder } from "./embedders/index.ts";
import type { Feedback } from "./feedback.ts";
import type { SemanticGuard } from "./guard.ts";
import type { Refusal } from "./lookup.ts";
import type { Verifier } from "./verify.ts";

const embedderSchema = z.union([
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

/** The embedder as plain config: a built-in by name, or with its options. */
export type EmbedderConfig = z.infer<typeof embedderSchema>;

const synonymsSchema = z.array(z.array(z.string().min(1)).min(2));
const abbreviationsSchema = z.record(z.string().min(1), z.string().min(1));
const fillersSchema = z.array(z.string().min(1));

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

const verifySchema = z.strictObject({
  /** Chat model of the built-in verifier. Default "gpt-4o-mini". */
  model: z.string().min(1).optional(),
  /** Server root of the built-in verifier (`{baseURL}/v1/chat/completions`). Default "https://api.openai.com". */
  baseURL: z.url().optional(),
  /** Environment variable holding its API key. Default "OPENAI_API_KEY". */
  apiKeyEnv: z.string().min(1).optional(),
  /** Matches whose similarity lies below the threshold + band are verified. Default 0.05. */
  band: z.number().min(0).max(1).default(0.05),
  /** No answer within this long: the match is not served. Keep it below the chain's `layerTimeout`. Default "800ms". */
  timeout: positiveDurationSchema.default("800ms"),
});

const COLLECTION = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{1,510})[a-zA-Z0-9]$/;

/** The options that plain config can give (`{ "use": "chroma", "url": "http://127.0.0.1:8000" }`). */
export const configSchema = z.strictObject({
  /** Layer name in events, stats and X-Cache-Layer. Default "chroma". */
  name: z.string().min(1).default("chroma"),
  /** Chroma server. Default "http://127.0.0.1:8000" (env `RAG_CHROMA_URL`). */
  url: z.url().default("http://127.0.0.1:8000"),
  /** Extra HTTP headers for every request, e.g. `{ "x-chroma-token": "…" }`. Default none. */
  headers: z.record(z.string(), z.string()).optional(),
  /**
   * Collection holding the questions; created with the cosine space when missing. Use one per
   * embedder: Chroma fixes the vector length at the first write. Default "ragcache".
   */
  collection: z
    .string()
    .regex(COLLECTION, "3-512 characters of a-z, A-Z, 0-9, '.', '_', '-', starting and ending with a letter or digit")
    .default("ragcache"),
  /** Turns query texts into vectors: "local" / `{ type: "openai", model }`. Default the local embedder. */
  embedder: embedderSchema.optional(),
  /**
   * Least cosine similarity for a stored question to answer a new one, from 0 to 1. Default: the
   * embedder's own hint (0.6 for the local embedder, 0.9 for OpenAI), else 0.9; at least 0.9 with
   * `guard: false` (env `RAG_SEMANTIC_THRESHOLD`).
   */
  threshold: z.number().gt(0).max(1).optional(),
  /**
   * Thresholds of single namespaces, overriding `threshold` there: retrieval may accept looser
   * matches than answers, e.g. `{ retrieval: 0.5, answer: 0.7 }` (env `RAG_SEMANTIC_THRESHOLDS` as JSON).
   */
  thresholds: z.record(z.string().min(1), z.number().gt(0).max(1)).default({}),
  /** Short forms and two-word phrases and what they stand for, added to the built-in vocabulary: `{ sla: "service level agreement" }`. */
  abbreviations: abbreviationsSchema.optional(),
  /** Groups of words that count as the same, added to the built-in ones: `[["switch", "toggle"]]`. */
  synonyms: synonymsSchema.optional(),
  /** Phrases that only wrap a question ("quick question"), added to the built-in ones. */
  fillers: fillersSchema.optional(),
  /**
   * The false-positive check run on a close match before it is served: `true` for `meaningGuard()`
   * (numbers, negations, content words and their direction must agree), its options, or `false` to
   * trust similarity alone. Default true. `abbreviations`, `synonyms` and `fillers` apply to it and
   * to the text embedded.
   */
  guard: z.union([z.boolean(), guardSchema]).default(true),
  /**
   * A second opinion on borderline matches (those that passed the guard below threshold + `band`):
   * the built-in chat verifier's settings; from code also your own `verifier`. Not served when it
   * says no, fails or is late. Default: no verifier.
   */
  verify: verifySchema.optional(),
  /**
   * Neighbours fetched per lookup; the closest of the key's namespace and parameters that passes the
   * guard wins. When all of them are close enough but unusable and some belong to other namespaces
   * or parameters, a second query filtered to the key's own fetches as many again. Default 10.
   */
  candidates: z.number().int().min(1).max(1000).default(10),
  /**
   * Deadline of one Chroma request. Keep it below the chain's `layerTimeout` (default 1s), so that
   * the layer sees the timeout itself and stops calling a hanging server for `retryAfter`. Default "750ms".
   */
  timeout: positiveDurationSchema.default("750ms"),
  /** After Chroma is found unreachable, calls fail at once (a miss) for this long before it is tried again. Default "1s". */
  retryAfter: durationSchema.default("1s"),
  /** How often expired entries are deleted from the collection, checked on use. Default "1m". */
  sweepInterval: positiveDurationSchema.default("1m"),
  /**
   * The namespaces the layer embeds and matches (e.g. `["retrieval", "answer"]`); entries of any
   * other namespace pass by it as misses, unembedded (HTTP responses cached by the middleware have
   * nothing to match by meaning). Default: every namespace.
   */
  namespaces: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Share embeddings through the chain's exact layers (memory, Redis, files), under namespace
   * "embeddings" keyed by the embedder's id, dimensions and the text: other processes and restarts
   * then do not embed the same query again. Default false (the local embedder costs less than a
   * Redis round trip; an embedding API does not).
   */
  sharedEmbeddings: z.boolean().default(false),
  /** How long a shared embedding is kept. Default "30d". */
  embeddingTtl: positiveDurationSchema.default("30d"),
});

const embedderObject = z.custom<Embedder>(
  (value) => typeof value === "object" && value !== null && typeof (value as Embedder).embed === "function",
  { message: "expected an embedder (an object with embed), e.g. localEmbedder()" },
);

/** Every option of `chroma()`: the config's, with an embedder object and a guard function that only code can give. */
export const optionsSchema = configSchema.extend({
  /** Turns query texts into vectors: an `Embedder`, or "local" / `{ type: "openai", model }`. Default `localEmbedder()`. */
  embedder: z.union([embedderObject, embedderSchema]).optional(),
  /**
   * The false-positive check run on a close match before it is served: `true` for `meaningGuard()`
   * (numbers, negations, content words and their direction must agree), its options, your own
   * function returning true or the reason to refuse, or `false` to trust similarity alone. Default true.
   */
  guard: z.union([z.boolean(), guardSchema, functionSchema<SemanticGuard>()]).default(true),
  /** As in config, plus `verifier`: your own `(query, candidate) => Promise<boolean>` instead of the chat verifier. */
  verify: verifySchema.extend({ verifier: functionSchema<Verifier>().optional() }).optional(),
});

/**
 * What `chroma()` takes: the server and collection, the embedder, when a neighbour may answer
 * (thresholds, guard, verifier) and the vocabulary the guard and the embedded text share.
 * @example
 * ```ts
 * chroma({ url: "http://127.0.0.1:8000", collection: "ragcache", thresholds: { answer: 0.7 }, namespaces: ["retrieval", "answer"] });
 * ```
 */
export type ChromaOptions = z.input<typeof optionsSchema>;

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
  /** A verdict on this layer's match of `matchedText` for `key`, stored only: `cache.reject` calls it. */
  judge(key: CacheKey, matchedText: string, verdict: Verdict): Promise<void>;
  /**
   * Record a user's verdict on a semantic match. "wrong": that stored question never answers this
   * query again (kept in Chroma beside the entries: across restarts and instances), and the copy
   * back-filled under the query's key leaves the exact layers at once. "right": a confirmed pair.
   * Counted in `stats()` (`rejected`, `confirmed`, `judgedWrong` for matches refused since,
   * `verdictReads` for the matches whose verdict had to be read from Chroma: see feedback.ts).
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

/** The `verify` option: your verifier, or the built-in chat verifier's settings, and when to call it. */
export type VerifyOptions = NonNullable<ChromaOptions["verify"]>;
