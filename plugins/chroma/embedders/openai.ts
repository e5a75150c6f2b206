import type { Embedder } from "./embedder.ts";
import { RagCacheError } from "../../../src/index.ts";
import { memoizeEmbedder } from "./memo.ts";

/**
 * What `openAIEmbedder` takes: the model, the server, the key's env var, batching and a deadline.
 * @example
 * ```ts
 * openAIEmbedder({ model: "nomic-embed-text", baseURL: "http://127.0.0.1:11434", apiKeyEnv: "OLLAMA_KEY" });
 * ```
 */
export interface OpenAIEmbedderOptions {
  /** Embedding model. Default "text-embedding-3-small". */
  model?: string;
  /**
   * Server root; requests go to `{baseURL}/v1/embeddings` (a trailing "/v1" is accepted too).
   * Default "https://api.openai.com". Any OpenAI-compatible server works (vLLM, Ollama, LiteLLM …).
   */
  baseURL?: string;
  /** Bearer token. Default: the environment variable named by `apiKeyEnv`. */
  apiKey?: string;
  /** Environment variable holding the key when `apiKey` is not given. Default "OPENAI_API_KEY". */
  apiKeyEnv?: string;
  /**
   * Vector length. Default: the model's own (1536 for text-embedding-3-small and ada-002, 3072 for
   * text-embedding-3-large); required for other models. For the text-embedding-3 models a smaller
   * value is sent as the API's `dimensions` parameter.
   */
  dimensions?: number;
  /** Most texts per request; longer lists are split. Default 96. */
  batchSize?: number;
  /** Budget per request in ms; slower requests are aborted. Default 10 000. */
  timeout?: number;
  /** Similarity from which this model's vectors usually mean the same (the layer's default threshold). Default 0.9. */
  threshold?: number;
  /** The fetch to use (a proxy, a test server). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

const NATIVE_DIMENSIONS: Record<string, number> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
};

interface EmbeddingResponse {
  data?: { index?: number; embedding?: unknown }[];
}

/**
 * Embeddings from an OpenAI-compatible `/v1/embeddings` endpoint, batched, with a timeout per
 * request; memoized per process like every built-in embedder. Web-standard: fetch only.
 * @example
 * ```ts
 * chroma({ embedder: openAIEmbedder({ model: "text-embedding-3-small" }), threshold: 0.9 });
 * ```
 */
export function openAIEmbedder(options: OpenAIEmbedderOptions = {}): Embedder {
  const source = "openai embedder";
  const model = options.model ?? "text-embedding-3-small";
  const native = NATIVE_DIMENSIONS[model];
  const dimensions = options.dimensions ?? native;
  if (dimensions === undefined || !Number.isInteger(dimensions) || dimensions < 1) {
    throw new RagCacheError("E_CONFIG_INVALID", `dimensions must be given as a positive integer for model "${model}"`, {
      source,
    });
  }
  const batchSize = options.batchSize ?? 96;
  const timeout = options.timeout ?? 10_000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RagCacheError("E_CONFIG_INVALID", `batchSize must be a positive integer, got ${batchSize}`, { source });
  if (!(timeout > 0))
    throw new RagCacheError("E_CONFIG_INVALID", `timeout must be a positive number of ms, got ${timeout}`, { source });
  const endpoint = openAIEndpoint(options.baseURL, "embeddings");
  const doFetch = options.fetch ?? globalThis.fetch;
  // Only the text-embedding-3 models accept a `dimensions` parameter; others must not receive one.
  const sendDimensions = native !== undefined && dimensions !== native && model.startsWith("text-embedding-3");

  const request = async (texts: readonly string[]): Promise<number[][]> => {
    const headers = openAIHeaders(options);
    const body = JSON.stringify({ model, input: texts, encoding_format: "float", ...(sendDimensions ? { dimensions } : {}) });
    let response: Response;
    try {
      response = await doFetch(endpoint, { method: "POST", headers, body, signal: AbortSignal.timeout(timeout) });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      throw new RagCacheError(
        timedOut ? "E_LAYER_TIMEOUT" : "E_LAYER_FAILED",
        timedOut ? `${endpoint} did not answer within ${timeout} ms` : `${endpoint}: ${(error as Error).message}`,
        { source, cause: error },
      );
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => "")).slice(0, 300);
      throw new RagCacheError("E_LAYER_FAILED", `${endpoint} answered HTTP ${response.status}${detail ? `: ${detail}` : ""}`, {
        source,
      });
    }
    return vectorsOf((await response.json().catch(() => ({}))) as EmbeddingResponse, texts.length, dimensions, endpoint);
  };

  return memoizeEmbedder({
    id: `openai:${model}:${dimensions}`,
    dimensions,
    threshold: options.threshold ?? 0.9,
    async embed(texts) {
      const batches: Promise<number[][]>[] = [];
      for (let i = 0; i < texts.length; i += batchSize) batches.push(request(texts.slice(i, i + batchSize)));
      return (await Promise.all(batches)).flat();
    },
  });
}

function vectorsOf(json: EmbeddingResponse, count: number, dimensions: number, endpoint: string): number[][] {
  const fail = (why: string) => new RagCacheError("E_LAYER_FAILED", `${endpoint} answered ${why}`, { source: "openai embedder" });
  if (!Array.isArray(json.data) || json.data.length !== count)
    throw fail(`${Array.isArray(json.data) ? json.data.length : "no"} embeddings for ${count} texts`);
  const vectors: number[][] = new Array(count);
  json.data.forEach((item, position) => {
    const index = item.index ?? position;
    const vector = item.embedding;
    if (
      !Array.isArray(vector) ||
      vector.length !== dimensions ||
      !vector.every((x) => typeof x === "number" && Number.isFinite(x))
    ) {
      throw fail(`an embedding that is not ${dimensions} finite numbers (at index ${index})`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index])
      throw fail(`a wrong or repeated index ${index}`);
    vectors[index] = vector as number[];
  });
  return vectors;
}

/** `{baseURL}/v1/{path}` on an OpenAI-compatible server; a `baseURL` ending in "/" or "/v1" is accepted too. */
export function openAIEndpoint(baseURL: string | undefined, path: string): string {
  return `${(baseURL ?? "https://api.openai.com").replace(/\/+$/, "").replace(/\/v1$/, "")}/v1/${path}`;
}

/** JSON request headers with the bearer token: `apiKey`, else the variable `apiKeyEnv` names (default OPENAI_API_KEY), read per request. */
export function openAIHeaders(options: { apiKey?: string; apiKeyEnv?: string }): Record<string, string> {
  const apiKey = options.apiKey ?? envVar(options.apiKeyEnv ?? "OPENAI_API_KEY");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return headers;
}

/** Read without importing node:process, so the module stays runnable where `process` does not exist. */
function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}
