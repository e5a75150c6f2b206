import type { Cache } from "../chain/cache.ts";
import { canonicalJson, sha256Hex, normalizeText } from "../key.ts";
import type { CacheKey } from "../types.ts";
import { isObject, type Endpoint, type Json } from "./answer.ts";
import type { UpstreamConfig } from "./options.ts";

/** Namespaces of the proxy's entries. Only `CHAT_NAMESPACE` holds texts worth matching by meaning. */
export const CHAT_NAMESPACE = "openai.chat";
const NAMESPACES = { chatExact: "openai.chat-exact", completions: "openai.completions", embeddings: "openai.embeddings" };

/** Fields that never change what the model answers: kept out of keys. */
const NOT_OUTPUT = ["stream", "stream_options", "user", "metadata", "store", "safety_identifier", "prompt_cache_key"];
/** A last user message longer than this is keyed by its hash (and not matched by meaning). */
const MAX_TEXT = 8_192;

/** How a cacheable completion request is keyed and answered. */
export interface CompletionPlan {
  endpoint: Endpoint;
  key: CacheKey;
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: the usage chunk is part of the answer. */
  includeUsage: boolean;
}

/**
 * The plan for a completion request, or why it passes through uncached. The key's text is the last
 * user message (chat) and its parameters a hash of everything else that shapes the answer — model,
 * earlier messages, tools, sampling parameters — with the caller's scope, so a semantic layer only
 * compares requests that agree on all of it.
 */
export function planCompletion(
  cache: Cache,
  endpoint: Endpoint,
  body: Json,
  scope: string,
  config: UpstreamConfig,
): CompletionPlan | string {
  if (typeof body.model !== "string") return "no model";
  const refused = uncacheable(body, config);
  if (refused) return refused;
  const rest = outputParameters(body);
  const stream = body.stream === true;
  const includeUsage = stream && isObject(body.stream_options) && body.stream_options.include_usage === true;
  const plan = (namespace: string, text: string, shape: unknown): CompletionPlan => ({
    endpoint,
    key: cache.key(text, { namespace, params: { scope, h: sha256Hex(canonicalJson(shape)) } }),
    model: body.model as string,
    stream,
    includeUsage,
  });
  if (endpoint === "completions") {
    const prompt = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt;
    if (typeof prompt !== "string") return "prompt is not one string";
    const { prompt: _prompt, ...shape } = rest;
    return plan(NAMESPACES.completions, sha256Hex(prompt), shape);
  }
  const { messages, ...shape } = rest;
  if (!Array.isArray(messages) || messages.length === 0) return "no messages";
  const normalized = messages.map(normalizeMessage);
  const text = userText(messages.at(-1));
  if (text === undefined || text.length > MAX_TEXT)
    return plan(NAMESPACES.chatExact, sha256Hex(canonicalJson(normalized)), shape);
  const { content, ...lastFields } = messages.at(-1) as Json;
  const last = { ...lastFields, parts: Array.isArray(content) ? content.length : undefined };
  return plan(CHAT_NAMESPACE, text, { ...shape, earlier: normalized.slice(0, -1), last });
}

/** Why a request must not be answered from the cache (several samples, log-probabilities, sampling), or "". */
function uncacheable(body: Json, config: UpstreamConfig): string {
  if (body.n !== undefined && body.n !== null && body.n !== 1) return "n > 1";
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== 1) return "best_of > 1";
  if (body.logprobs === true || typeof body.logprobs === "number" || typeof body.top_logprobs === "number") return "logprobs";
  if (!config.cacheSampled && typeof body.temperature === "number" && body.temperature > 0) return "temperature > 0";
  return "";
}

function outputParameters(body: Json): Json {
  const rest: Json = { ...body };
  for (const field of NOT_OUTPUT) delete rest[field];
  if (rest.n === 1) delete rest.n;
  return rest;
}

/** The text of a user message (a string, or text parts only), else undefined. */
function userText(message: unknown): string | undefined {
  if (!isObject(message) || message.role !== "user") return undefined;
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return undefined;
  const parts = message.content as Json[];
  if (!parts.every((part) => isObject(part) && part.type === "text" && typeof part.text === "string")) return undefined;
  return parts.map((part) => part.text).join("\n");
}

function normalizeMessage(message: unknown): unknown {
  if (!isObject(message)) return message;
  const content = message.content;
  if (typeof content === "string") return { ...message, content: normalizeText(content) };
  if (!Array.isArray(content)) return message;
  const parts = content.map((part) =>
    isObject(part) && typeof part.text === "string" ? { ...part, text: normalizeText(part.text) } : part,
  );
  return { ...message, content: parts };
}

/** The keys of embedding inputs: each exact text (hashed), the model and output shape, and the scope. */
export function embeddingKeys(cache: Cache, inputs: readonly string[], body: Json, scope: string): CacheKey[] {
  const { input: _input, user: _user, ...shape } = body;
  const params = { scope, h: sha256Hex(canonicalJson(shape)) };
  return inputs.map((input) => cache.key(sha256Hex(input), { namespace: NAMESPACES.embeddings, params }));
}
