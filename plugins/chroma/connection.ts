import type { Collection } from "chromadb";
import { importPeer, RagCacheError, withinDeadline } from "../../src/index.ts";
import { toError } from "../../src/index.ts";

/** chromadb is an optional peer: a missing install is a clear error when the chroma plugin is imported. */
const { ChromaClient } = await importPeer("chromadb", "ragcache/chroma", () => import("chromadb"));

export interface ConnectionOptions {
  name: string;
  url: string;
  collection: string;
  headers?: Record<string, string>;
  /** Deadline of one request, ms. */
  requestTimeout: number;
  /** After a connection failure, calls fail at once for this long before Chroma is tried again, ms. */
  retryAfter: number;
  onDown: (reason: string) => void;
  onUp: (downMs: number) => void;
}

type Work<T> = (collection: Collection) => Promise<T>;

/** Cause of the fast failures while the breaker is open, so they count as an outage too. */
const UNREACHABLE = new Error("Chroma unreachable");
UNREACHABLE.name = "ChromaConnectionError";

/** A connection failure or a timeout: Chroma cannot be reached, as opposed to refusing a request. */
function isOutage(error: unknown): boolean {
  if (error instanceof RagCacheError)
    return error.code === "E_LAYER_TIMEOUT" || (error.cause as Error | undefined)?.name === "ChromaConnectionError";
  return (error as Error | undefined)?.name === "ChromaConnectionError";
}

/** Invalidations remembered while Chroma is unreachable; past this, one full clear replaces them. */
const MAX_PENDING = 1_000;

/**
 * One collection on one Chroma server, reached with a deadline per request. A server that refuses
 * connections or does not answer in time opens a short breaker, so a dead Chroma costs one fast
 * failure per call instead of a timeout. Invalidations that fail are replayed before anything else
 * once Chroma answers again: a deleted entry must not come back as a semantic hit.
 */
export class ChromaConnection {
  readonly #options: ConnectionOptions;
  readonly #client: InstanceType<typeof ChromaClient>;
  #collection?: Promise<Collection>;
  #downSince?: number;
  #retryAt = 0;
  #pending: Work<unknown>[] = [];

  constructor(options: ConnectionOptions) {
    this.#options = options;
    const url = new URL(options.url);
    const ssl = url.protocol === "https:";
    this.#client = new ChromaClient({
      host: url.hostname,
      port: Number(url.port || (ssl ? 443 : 80)),
      ssl,
      headers: options.headers,
    });
  }

  get state(): "up" | "down" {
    return this.#downSince === undefined ? "up" : "down";
  }

  get pendingInvalidations(): number {
    return this.#pending.length;
  }

  /** Run one request against the collection, replaying missed invalidations first. */
  async run<T>(operation: string, work: Work<T>, timeoutMs = this.#options.requestTimeout): Promise<T> {
    if (this.#downSince !== undefined && Date.now() < this.#retryAt) {
      throw this.#error(
        "E_LAYER_FAILED",
        `${operation}: Chroma at ${this.#options.url} is unreachable; next attempt in ${this.#retryAt - Date.now()} ms`,
        UNREACHABLE,
      );
    }
    try {
      const collection = await this.#deadline(operation, (this.#collection ??= this.#open()));
      while (this.#pending.length) {
        const replay = this.#pending[0]!;
        // One that Chroma refuses (rather than cannot be reached for) would block every call: dropped.
        await this.#deadline(operation, replay(collection)).catch((error: unknown) => {
          if (!isOutage(error)) this.#pending.shift();
          throw error;
        });
        this.#pending.shift();
      }
      const result = await this.#deadline(operation, work(collection), timeoutMs);
      this.#up();
      return result;
    } catch (thrown) {
      this.#collection = undefined;
      const error = toError(thrown);
      if (isOutage(error)) this.#down(error.message);
      throw error instanceof RagCacheError ? error : this.#error("E_LAYER_FAILED", `${operation}: ${error.message}`, error);
    }
  }

  /** Like `run`, but work that fails because Chroma is unreachable is kept and retried first when it answers again. */
  async invalidate(operation: string, work: Work<unknown>): Promise<void> {
    try {
      await this.run(operation, work);
    } catch (error) {
      if (!isOutage(error)) throw error;
      if (this.#pending.length >= MAX_PENDING)
        this.#pending = [(collection) => collection.delete({ where: { ns: { $ne: "" } } })];
      else this.#pending.push(work);
      throw error;
    }
  }

  async heartbeat(): Promise<void> {
    await this.#deadline("heartbeat", this.#client.heartbeat());
  }

  async #open(): Promise<Collection> {
    const collection = await this.#client.getOrCreateCollection({
      name: this.#options.collection,
      // null: vectors come from ragcache's embedder; the client must not load its default model.
      embeddingFunction: null,
      configuration: { hnsw: { space: "cosine" } },
    });
    const space = collection.configuration?.hnsw?.space;
    if (space && space !== "cosine") {
      throw this.#error(
        "E_CONFIG_INVALID",
        `collection "${this.#options.collection}" uses the ${space} space; the semantic layer needs cosine (use another collection)`,
      );
    }
    return collection;
  }

  #deadline<T>(operation: string, work: Promise<T>, ms = this.#options.requestTimeout): Promise<T> {
    return withinDeadline(work, ms, () => {
      throw this.#error("E_LAYER_TIMEOUT", `${operation}: Chroma did not answer within ${ms} ms`);
    });
  }

  #down(reason: string): void {
    this.#retryAt = Date.now() + this.#options.retryAfter;
    if (this.#downSince !== undefined) return;
    this.#downSince = Date.now();
    this.#options.onDown(reason);
  }

  #up(): void {
    if (this.#downSince === undefined) return;
    const downMs = Date.now() - this.#downSince;
    this.#downSince = undefined;
    this.#options.onUp(downMs);
  }

  #error(code: "E_LAYER_FAILED" | "E_LAYER_TIMEOUT" | "E_CONFIG_INVALID", message: string, cause?: unknown): RagCacheError {
    return new RagCacheError(code, message, { source: this.#options.name, cause });
  }
}
