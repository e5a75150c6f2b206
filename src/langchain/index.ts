import { BaseCache, deserializeStoredGeneration, serializeGeneration } from "@langchain/core/caches";
import type { Generation } from "@langchain/core/outputs";
import type { Cache } from "../chain/cache.ts";
import { toError } from "../errors.ts";
import { sha256Hex } from "../key.ts";
import type { Duration } from "../types.ts";

/**
 * What `RagCacheLangChain` takes: the chain, and where and how long generations are kept.
 * @example
 * ```ts
 * new RagCacheLangChain({ cache, namespace: "langchain", ttl: "1d" });
 * ```
 */
export interface RagCacheLangChainOptions {
  cache: Cache;
  /** Namespace of the generations. Default "langchain". */
  namespace?: string;
  /** How long a generation stays fresh. Default: the chain's `defaultTtl`. */
  ttl?: Duration;
}

type Stored = ReturnType<typeof serializeGeneration>[];

/**
 * A LangChain.js cache (`BaseCache`) on a ragcache chain: pass it as `cache` to a chat model or LLM.
 * The key is the exact prompt and LangChain's description of the model and its call options
 * (`llmKey`), hashed; messages are stored in LangChain's own serialized form. A failing chain is a
 * miss, never an error in the model call.
 * @example
 * ```ts
 * const model = new ChatOpenAI({ model: "gpt-4o-mini", temperature: 0, cache: new RagCacheLangChain({ cache }) });
 * ```
 */
export class RagCacheLangChain extends BaseCache {
  readonly #cache: Cache;
  readonly #namespace: string;
  readonly #ttl?: Duration;

  constructor(options: RagCacheLangChainOptions) {
    super();
    this.#cache = options.cache;
    this.#namespace = options.namespace ?? "langchain";
    this.#ttl = options.ttl;
  }

  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    try {
      const stored = (await this.#cache.get(this.#key(prompt, llmKey))) as Stored | undefined;
      // LangChain revives messages in place; the chain's values are frozen, so it gets a copy.
      return Array.isArray(stored) ? structuredClone(stored).map((generation) => deserializeStoredGeneration(generation)) : null;
    } catch (error) {
      this.#report("lookup", error);
      return null;
    }
  }

  async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    try {
      await this.#cache.set(this.#key(prompt, llmKey), value.map(serializeGeneration), { ttl: this.#ttl });
    } catch (error) {
      this.#report("update", error);
    }
  }

  #key(prompt: string, llmKey: string) {
    return this.#cache.key(sha256Hex(`${prompt}\u0000${llmKey}`), { namespace: this.#namespace });
  }

  #report(operation: string, error: unknown): void {
    this.#cache.emit("error", { layer: "langchain", operation, error: toError(error) });
  }
}
