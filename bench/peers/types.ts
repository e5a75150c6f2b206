/** What every contender adapter provides to the workloads in bench/contenders.ts. */
export interface Contender {
  /** What `get` takes for a key string; ragcache precomputes its CacheKey here. Default: the string. */
  key?(text: string): unknown;
  /** The value, or undefined on a miss; may answer synchronously. */
  get(key: unknown): unknown;
  set(key: string, value: unknown): unknown;
  /** The library's own get-or-load (single flight where it has one); absent for raw clients. */
  getOrSet?(key: string, loader: () => Promise<unknown>): unknown;
  close(): Promise<void>;
}

export type Tiers = "memory" | "redis" | "memory+redis";

export interface ContenderSetup {
  /** A private redis-server started by the bench; flushed before each contender is created. */
  redisUrl: string;
  /** Entries the in-process tier keeps. */
  l1Max: number;
  ttlMs: number;
}

export interface ContenderSpec {
  /** Row label. */
  name: string;
  tiers: Tiers;
  /** A raw client that the ratios are taken against. */
  baseline?: boolean;
  /**
   * Another way to call or configure the same contender (a precomputed key, a plugin, an option),
   * measured only in the workloads of its tier: L1 hits for a memory variant, L2 hits and
   * miss + set for a Redis one; never in the get-or-load workloads.
   */
  variant?: boolean;
  create(setup: ContenderSetup): Promise<Contender>;
}
