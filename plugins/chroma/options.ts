import { z } from "zod";
import { durationSchema, functionSchema, positiveDurationSchema } from "../../src/index.ts";
import type { Embedder } from "./embedders/index.ts";
import type { SemanticGuard } from "./guard.ts";

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

const guardSchema = z.strictObject({
  numbers: z.boolean().optional(),
  negations: z.boolean().optional(),
  contentWords: z.boolean().optional(),
  order: z.boolean().optional(),
  synonyms: z.array(z.array(z.string().min(1)).min(2)).optional(),
  ignore: z.array(z.string().min(1)).optional(),
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
   * embedder's own hint (0.8 for the local embedder, 0.9 for OpenAI), else 0.9 (env `RAG_SEMANTIC_THRESHOLD`).
   */
  threshold: z.number().gt(0).max(1).optional(),
  /**
   * The false-positive check run on a close match before it is served: `true` for `meaningGuard()`
   * (numbers, negations, content words and their order must agree), its options, or `false` to trust
   * similarity alone. Default true.
   */
  guard: z.union([z.boolean(), guardSchema]).default(true),
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
   * (numbers, negations, content words and their order must agree), its options, your own
   * function, or `false` to trust similarity alone. Default true.
   */
  guard: z.union([z.boolean(), guardSchema, functionSchema<SemanticGuard>()]).default(true),
});

/**
 * What `chroma()` takes: the server and collection, the embedder, and when a neighbour may answer.
 * @example
 * ```ts
 * chroma({ url: "http://127.0.0.1:8000", collection: "ragcache", threshold: 0.85, namespaces: ["retrieval"] });
 * ```
 */
export type ChromaOptions = z.input<typeof optionsSchema>;

/** `RAG_SEMANTIC_THRESHOLD=0.85` sets `threshold` (besides `RAG_CHROMA_THRESHOLD`). */
export const envAliases = { RAG_SEMANTIC_THRESHOLD: "threshold" };
