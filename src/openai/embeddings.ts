import type { Context } from "hono";
import type { Cache } from "../chain/cache.ts";
import { toError } from "../errors.ts";
import type { CacheKey } from "../types.ts";
import type { Accounting } from "./accounting.ts";
import { isObject, type Json } from "./answer.ts";
import type { UpstreamConfig } from "./options.ts";
import { embeddingKeys } from "./plan.ts";
import { parseJson, passThrough, readCachedRequest } from "./forward.ts";
import type { Scopes } from "./scope.ts";
import { forwardedHeaders, openAIError, UpstreamFailure, type Upstream } from "./upstream.ts";

/**
 * One cached input: its vector as the answer's JSON text (an array of numbers, or a base64 string as
 * the request asked) and its share of the batch's tokens. Text, not an array: the chain freezes an
 * array element by element (0.35 ms for 1536 numbers on Bun), a frozen one serializes slowly, and a
 * hit then writes the text into the answer as it is.
 */
interface StoredEmbedding {
  embeddingJson: string;
  tokens: number;
}

interface EmbeddingDeps {
  cache: Cache;
  config: UpstreamConfig;
  upstream: Upstream;
  scopes: Scopes;
  accounting: Accounting;
}

/**
 * POST /v1/embeddings, cached per input string: only the inputs not in the cache go upstream, in
 * one request, and the answer is put back together in the caller's order. Token inputs pass through.
 */
export function embeddingsHandler({ cache, config, upstream, scopes, accounting }: EmbeddingDeps) {
  /** Inputs being asked for right now, by key id: a concurrent batch waits for them instead of asking again. */
  const inFlight = new Map<string, Promise<StoredEmbedding | undefined>>();

  /**
   * The missing inputs' embeddings: those another batch is asking for are awaited, the rest asked
   * for in one call (`ask`) and stored. A failed shared call fails the batches that joined it.
   */
  async function askShared(
    missing: { input: string; key: CacheKey }[],
    ask: (inputs: string[]) => Promise<Map<string, StoredEmbedding> | Response>,
  ): Promise<Map<string, StoredEmbedding> | Response> {
    const joined = missing
      .filter(({ key }) => inFlight.has(key.id))
      .map((item) => ({ ...item, shared: inFlight.get(item.key.id)! }));
    const asking = missing.filter(({ key }) => !inFlight.has(key.id));
    const request = asking.length ? ask(asking.map(({ input }) => input)) : Promise.resolve(new Map<string, StoredEmbedding>());
    for (const { input, key } of asking) {
      const shared = request.then(
        (result) => (result instanceof Response ? undefined : result.get(input)),
        () => undefined,
      );
      inFlight.set(key.id, shared);
      shared.then(() => inFlight.delete(key.id));
    }
    const fetched = await request;
    if (fetched instanceof Response) return fetched;
    for (const { input, key } of asking) {
      const stored = fetched.get(input);
      if (stored) cache.track(cache.set(key, stored, { ttl: config.ttl }).catch((error) => report(cache, error, key)));
    }
    for (const { input, shared } of joined) {
      const stored = await shared;
      if (!stored) return openAIError(502, "the upstream call this batch shared failed", "upstream_error");
      fetched.set(input, stored);
    }
    return fetched;
  }

  return async (c: Context): Promise<Response> => {
    const request = await readCachedRequest(c);
    if (request instanceof Response) return request;
    const { raw, body, model } = request;
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    if (!isStrings(inputs) || inputs.length === 0 || typeof body.model !== "string" || request.noStore) {
      accounting.count(model, "bypass");
      return passThrough(c, upstream, {
        path: "/embeddings",
        body: raw,
        reason: request.noStore ? "Cache-Control: no-store" : "input is not text",
      });
    }
    const keys = embeddingKeys(cache, inputs, body, scopes.of(request.credential));
    const found = request.noCache ? keys.map(() => undefined) : await Promise.all(keys.map((key) => cached(cache, key)));
    /** The inputs no entry answered, each once, with its key. */
    const missing = new Map<string, CacheKey>();
    inputs.forEach((input, i) => {
      if (!found[i] && !missing.has(input)) missing.set(input, keys[i]!);
    });
    if (missing.size) {
      const fetched = await askShared(
        [...missing].map(([input, key]) => ({ input, key })),
        (asking) => {
          accounting.upstreamCall(model);
          return fetchMissing(c, upstream, body, asking);
        },
      );
      if (fetched instanceof Response) return fetched;
      for (let i = 0; i < inputs.length; i++) found[i] ??= fetched.get(inputs[i]!);
    }
    const cachedTokens = sum(found.filter((_, i) => !missing.has(inputs[i]!)));
    const hits = inputs.filter((input) => !missing.has(input)).length;
    accounting.count(model, missing.size ? "miss" : "hit", { prompt_tokens: cachedTokens });
    return new Response(answerJson(found as StoredEmbedding[], model), {
      headers: {
        "content-type": "application/json;charset=utf-8",
        "x-ragcache": missing.size ? "MISS" : "HIT",
        "x-ragcache-cached": `${hits}/${inputs.length}`,
      },
    });
  };
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** The answer's JSON text, each embedding's stored text written into it as it is. */
function answerJson(found: readonly StoredEmbedding[], model: string): string {
  const data = found.map((stored, index) => `{"object":"embedding","index":${index},"embedding":${stored.embeddingJson}}`);
  const tokens = sum(found);
  const usage = JSON.stringify({ prompt_tokens: tokens, total_tokens: tokens });
  return `{"object":"list","data":[${data.join(",")}],"model":${JSON.stringify(model)},"usage":${usage}}`;
}

/**
 * Whether stored text can stand as an answer's embedding without changing the answer around it: one
 * flat array with no strings or objects in it, or one string with no escapes. Native scans, about 3 µs
 * for 1536 numbers (a full JSON check costs what JSON.parse does, 50 µs); what else is wrong with the
 * text a client's parser reports, and nothing this proxy wrote looks so.
 */
function isEmbeddingJson(text: string): boolean {
  const last = text.length - 1;
  if (text[0] === '"') return last > 0 && text.indexOf('"', 1) === last && !text.includes("\\");
  return (
    text[0] === "[" &&
    text.indexOf("]") === last &&
    text.lastIndexOf("[") === 0 &&
    !text.includes('"') &&
    !text.includes("{") &&
    !text.includes("}") &&
    !text.includes(":")
  );
}

function isEmbedding(value: unknown): value is number[] | string {
  return Array.isArray(value) || typeof value === "string";
}

/** The embedding's JSON text, with the upstream's -0 kept (JSON.stringify writes it as 0). */
function embeddingJson(embedding: number[] | string): string {
  if (typeof embedding === "string" || !embedding.some((x) => Object.is(x, -0))) return JSON.stringify(embedding);
  return `[${embedding.map((x) => (Object.is(x, -0) ? "-0" : JSON.stringify(x))).join(",")}]`;
}

async function cached(cache: Cache, key: CacheKey): Promise<StoredEmbedding | undefined> {
  try {
    const found = await cache.get(key);
    if (!isObject(found) || typeof found.tokens !== "number") return undefined;
    const { embeddingJson: json, embedding, tokens } = found;
    if (typeof json === "string") return isEmbeddingJson(json) ? { embeddingJson: json, tokens } : undefined;
    // How earlier versions stored it: still read, as a miss would bill the upstream again.
    return isEmbedding(embedding) ? { embeddingJson: embeddingJson(embedding), tokens } : undefined;
  } catch (error) {
    report(cache, error, key);
    return undefined;
  }
}

/** Asks the upstream for the missing inputs; their tokens are its `prompt_tokens` shared out by length. */
async function fetchMissing(
  c: Context,
  upstream: Upstream,
  body: Json,
  missing: string[],
): Promise<Map<string, StoredEmbedding> | Response> {
  try {
    const request = JSON.stringify({ ...body, input: missing });
    const { response } = await upstream.send("/embeddings", c.req.raw.headers, { method: "POST", body: request });
    const bytes = await upstream.readAll(response);
    const answer = response.ok ? parseJson(bytes) : undefined;
    const data = answer?.data;
    if (!Array.isArray(data) || data.length !== missing.length)
      return new Response(bytes, { status: response.ok ? 502 : response.status, headers: forwardedHeaders(response) });
    const usage = (answer!.usage as { prompt_tokens?: number } | undefined)?.prompt_tokens ?? 0;
    const length = missing.reduce((total, input) => total + input.length, 0) || 1;
    const fetched = new Map<string, StoredEmbedding>();
    for (const item of data as Json[]) {
      const input = missing[item.index as number];
      if (input === undefined || !isEmbedding(item.embedding)) return mismatch();
      fetched.set(input, { embeddingJson: embeddingJson(item.embedding), tokens: Math.round((usage * input.length) / length) });
    }
    // Two items with one index leave an input without its embedding.
    if (fetched.size !== missing.length) return mismatch();
    return fetched;
  } catch (error) {
    if (error instanceof UpstreamFailure) return error.toResponse();
    throw error;
  }
}

const mismatch = () => openAIError(502, "the upstream's embeddings do not match the inputs", "upstream_error");

function sum(found: readonly (StoredEmbedding | undefined)[]): number {
  return found.reduce((total, stored) => total + (stored?.tokens ?? 0), 0);
}

function report(cache: Cache, error: unknown, key: CacheKey): void {
  cache.emit("error", { layer: "openai", operation: "embeddings", error: toError(error), key });
}
