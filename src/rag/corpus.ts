import type { Cache } from "../chain/cache.ts";
import { toMs } from "../duration.ts";
import { RagCacheError } from "../errors.ts";
import { assertNamespace } from "../key.ts";
import type { CacheKey, Duration, MaybePromise } from "../types.ts";

/** How a corpus (the index retrievals search) is versioned; `RagCacheOptions.corpus`. */
export interface CorpusOptions {
  /**
   * The version before any bump: 1-32 characters of A-Z, a-z, 0-9, "_", "." or "-". A version
   * another process bumped to (kept in the chain) wins over it. Default: none, unversioned namespaces.
   */
  version?: string;
  /** Names the shared record, so that caches of different indexes over one chain keep apart. Default "default". */
  name?: string;
  /** How long the shared record lives; each bump renews it. Default "365d". */
  ttl?: Duration;
  /** Longest this process serves a version without reading the record again (the bus tells it sooner). Default "1s". */
  recheck?: Duration;
}

/** The shared record: the current version and the earlier ones whose entries a cleanup still has to delete. */
export interface CorpusRecord {
  version: string;
  previous: string[];
}

/** Namespace of the shared records. */
export const CORPUS_NAMESPACE = "corpus";
const VERSION = /^[A-Za-z0-9_.-]{1,32}$/;
const MAX_PREVIOUS = 100;

/**
 * A corpus version shared by every process of one chain: kept as an entry of the chain itself (so
 * Redis shares it and the bus evicts every other process's copy when it changes) and memoized for
 * `recheck`, so reading it costs nothing per request. Versioned stages live in `<namespace>.<version>`.
 * @example
 * ```ts
 * const corpus = new CorpusVersion(cache, { version: "v1" }, ["retrieval", "answer"]);
 * await corpus.bump("v2"); // every process now reads and writes retrieval.v2
 * await corpus.cleanup(); // deletes what retrieval.v1 and answer.v1 still hold
 * ```
 */
export class CorpusVersion {
  readonly #cache: Cache;
  readonly #key: CacheKey;
  readonly #initial: string;
  readonly #ttl: Duration;
  readonly #recheckMs: number;
  readonly #namespaces: readonly string[];
  #known: string | undefined;
  #knownAt = 0;

  constructor(cache: Cache, options: CorpusOptions, namespaces: readonly string[]) {
    this.#cache = cache;
    this.#initial = options.version === undefined ? "" : checkedVersion(options.version);
    this.#key = cache.key(options.name ?? "default", { namespace: CORPUS_NAMESPACE });
    this.#ttl = options.ttl ?? "365d";
    toMs(this.#ttl, "corpus.ttl");
    this.#recheckMs = toMs(options.recheck ?? "1s", "corpus.recheck");
    this.#namespaces = namespaces;
    for (const namespace of namespaces) assertNamespace(versioned(namespace, "x".repeat(32)));
    // Another process's bump evicts the record from this one's faster layers (the bus); another
    // RagCache of this process sets it: either way the memo is read again.
    const forget = (id: string) => {
      if (id === this.#key.id) this.#known = undefined;
    };
    cache.on("evict", ({ id }) => forget(id));
    cache.on("set", ({ key }) => forget(key.id));
  }

  /** The current version ("" = unversioned); synchronous while the memo is fresh. */
  current(): MaybePromise<string> {
    if (this.#known !== undefined && this.#cache.now() - this.#knownAt < this.#recheckMs) return this.#known;
    const record = this.#cache.get<CorpusRecord>(this.#key);
    return record instanceof Promise ? record.then((found) => this.#learn(found)) : this.#learn(record);
  }

  /** Where a stage's entries live at `version`. */
  namespaceOf(namespace: string, version: string): string {
    return versioned(namespace, version);
  }

  /** Moves every process to `version` (default: a new one made from the time); answers the record. */
  async bump(version?: string): Promise<CorpusRecord> {
    const next = version === undefined ? `v${Date.now().toString(36)}` : checkedVersion(version);
    const record = await this.#record();
    if (record.version === next) return record;
    const previous = [record.version, ...record.previous.filter((old) => old !== next && old !== record.version)];
    return this.#store({ version: next, previous: previous.slice(0, MAX_PREVIOUS) });
  }

  /** Deletes every entry of the earlier versions from every layer; answers the versions deleted. */
  async cleanup(): Promise<string[]> {
    const record = await this.#record();
    const stale = record.previous.filter((old) => old !== record.version);
    await Promise.all(stale.flatMap((old) => this.#namespaces.map((namespace) => this.#cache.clear(versioned(namespace, old)))));
    await this.#store({ version: record.version, previous: [] });
    return stale;
  }

  async #record(): Promise<CorpusRecord> {
    const found = await this.#cache.get<CorpusRecord>(this.#key);
    return isRecord(found) ? found : { version: this.#known ?? this.#initial, previous: [] };
  }

  async #store(record: CorpusRecord): Promise<CorpusRecord> {
    await this.#cache.set(this.#key, record, { ttl: this.#ttl });
    return record;
  }

  #learn(found: unknown): string {
    this.#known = isRecord(found) ? found.version : (this.#known ?? this.#initial);
    this.#knownAt = this.#cache.now();
    return this.#known;
  }
}

function versioned(namespace: string, version: string): string {
  return version ? `${namespace}.${version}` : namespace;
}

function checkedVersion(version: string): string {
  if (typeof version !== "string" || !VERSION.test(version)) {
    throw new RagCacheError(
      "E_INVALID_KEY",
      `a corpus version is 1-32 characters of A-Z, a-z, 0-9, "_", "." or "-", got ${JSON.stringify(version)}`,
    );
  }
  return version;
}

function isRecord(value: unknown): value is CorpusRecord {
  const record = value as CorpusRecord | undefined;
  return typeof record?.version === "string" && Array.isArray(record.previous);
}
