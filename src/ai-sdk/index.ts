import type {
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4Middleware,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";
import type { Cache } from "../chain/cache.ts";
import { toError } from "../errors.ts";
import { canonicalJson, sha256Hex } from "../key.ts";
import type { CacheKey, Duration } from "../types.ts";

/**
 * What `ragcacheMiddleware` takes: the chain, and which calls are cached for how long.
 * @example
 * ```ts
 * ragcacheMiddleware({ cache, namespace: "ai-sdk", ttl: "1d", cacheSampled: false });
 * ```
 */
export interface RagCacheMiddlewareOptions {
  cache: Cache;
  /** Namespace of the cached results. Default "ai-sdk". */
  namespace?: string;
  /** How long a result stays fresh. Default: the chain's `defaultTtl`. */
  ttl?: Duration;
  /** Cache calls with temperature > 0 too. Default false (they go to the model every time). */
  cacheSampled?: boolean;
}

/** Call options that do not change the answer, or cannot be keyed (signals, headers, raw-chunk switch). */
const NOT_KEYED = new Set(["abortSignal", "headers", "includeRawChunks"]);

/**
 * A language-model middleware for the Vercel AI SDK (`wrapLanguageModel`): `generateText` and
 * `streamText` results are cached in the chain, keyed by the provider, model and every call option
 * (prompt, tools, sampling …). A cached stream is replayed part by part. Calls the chain cannot key
 * (binary file parts) or that sample (temperature > 0) go to the model.
 * @example
 * ```ts
 * const model = wrapLanguageModel({ model: openai("gpt-4o-mini"), middleware: ragcacheMiddleware({ cache }) });
 * const { text } = await generateText({ model, prompt: "What is RAG?", temperature: 0 });
 * ```
 */
export function ragcacheMiddleware(options: RagCacheMiddlewareOptions): LanguageModelV4Middleware {
  const { cache, ttl } = options;
  const namespace = options.namespace ?? "ai-sdk";
  const keyOf = (mode: string, model: { provider: string; modelId: string }, params: LanguageModelV4CallOptions) => {
    if (!options.cacheSampled && (params.temperature ?? 0) > 0) return undefined;
    try {
      const keyed = Object.fromEntries(Object.entries(params).filter(([name]) => !NOT_KEYED.has(name)));
      const shape = canonicalJson({ mode, provider: model.provider, model: model.modelId, params: keyed });
      return cache.key(sha256Hex(shape), { namespace });
    } catch {
      return undefined;
    }
  };
  return {
    specificationVersion: "v4",
    async wrapGenerate({ doGenerate, params, model }) {
      const key = keyOf("generate", model, params);
      if (!key) return doGenerate();
      const stored = await cache.getOrSet(key, async () => jsonCopy(await doGenerate()), { ttl });
      return revive(stored as LanguageModelV4GenerateResult);
    },
    async wrapStream({ doStream, params, model }) {
      const key = keyOf("stream", model, params);
      const found = key && ((await lookup(cache, key)) as LanguageModelV4StreamPart[] | undefined);
      if (found) return { stream: replay(found) };
      const result = await doStream();
      if (!key) return result;
      const parts: LanguageModelV4StreamPart[] = [];
      const recorder = new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
        transform(part, controller) {
          if (part.type !== "raw") parts.push(part);
          controller.enqueue(part);
        },
        flush() {
          if (parts.some((part) => part.type === "error") || !parts.some((part) => part.type === "finish")) return;
          cache.track(cache.set(key, jsonCopy(parts), { ttl }).catch((error) => report(cache, error, key)));
        },
      });
      return { ...result, stream: result.stream.pipeThrough(recorder) };
    },
  };
}

async function lookup(cache: Cache, key: CacheKey): Promise<unknown> {
  try {
    return await cache.get(key);
  } catch (error) {
    report(cache, error, key);
    return undefined;
  }
}

function replay(parts: readonly LanguageModelV4StreamPart[]): ReadableStream<LanguageModelV4StreamPart> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(revive(part));
      controller.close();
    },
  });
}

/** What JSON keeps of a result (dates become strings, revived on the way out). */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A stored result or part with its response timestamp a Date again. */
function revive<T>(value: T): T {
  const copy = structuredClone(value) as T & { timestamp?: unknown; response?: { timestamp?: unknown } };
  if (typeof copy.timestamp === "string") copy.timestamp = new Date(copy.timestamp);
  if (typeof copy.response?.timestamp === "string") copy.response.timestamp = new Date(copy.response.timestamp);
  return copy;
}

function report(cache: Cache, error: unknown, key: CacheKey): void {
  cache.emit("error", { layer: "ai-sdk", operation: "stream", error: toError(error), key });
}
