/**
 * Why a goal of bench/contenders.ts was missed, as far as profiles show: printed in RESULTS.md's
 * closing note next to the measured figure. Profiles: bun --cpu-prof on single workloads, and
 * cachegrind instruction and D1-miss counts of one L1 read (bench/RESULTS.md, "Profiles").
 */
export const WHY_MISSED = {
  "W1 by key":
    "A hit by precomputed key reads the key object, the memory layer's node it holds and the entry (no hash lookup; a hit only marks the node, SIEVE), counted in one compiled step of the walk. With 10k keys those three are dependent cache misses; the ratio moves by ±0.15 between runs on this machine (RESULTS.md, Profiles).",
  "W1 by text":
    "A lookup by text adds the key memo (text -> CacheKey, a hash lookup whose bucket and stored text are cache misses of their own) in front of the by-key read: about 3 more L2 misses per read with 10k keys, against about 1 for raw lru-cache's whole get. Closing it needs one lookup for both, an L1 keyed by the caller's text (RESULTS.md, Profiles).",
  "W1 metrics":
    "The metrics plugin adds no work to an unsampled hit (1 in 64 lookups is timed and takes the walk's full path); the figure follows the by-text figure within the machine's noise.",
  "W2 redis":
    "Concurrent lookups share one MGET, so the Redis side of a hit (command, reply, pool slot) costs less than raw ioredis' pipelined GET, and the layer alone matches raw GET + JSON.parse. What is left is chain CPU, mostly freezing: counted over an in-process layer, a hit through the chain is about 32k instructions against 15k for await + JSON.parse, of which Object.freeze of the value is about 11k (JavaScriptCore freezes any array by its generic path, a descriptor per element; see the freezeValues: false row) and the key memo, walk, deadline and envelope decode about 5k (RESULTS.md, Profiles).",
  "W2 chain":
    "The redis layer alone reaches auto-pipelined ioredis within the noise; memory + redis adds the back-fill of every L2 hit into the 1000-entry memory layer (the newest-write and invalidation checks, a SIEVE insert that evicts, with its untag and evict event: 1.15 µs CPU per hit over an in-process layer) on top of the freeze (1.25-1.7 µs, kept: a served value must throw on mutation). Over that layer the chain costs 6.3 µs per hit against 2.95 µs for lru-cache + JSON.parse + lru-cache set (RESULTS.md, Profiles).",
  W3: "Redis shares the client's core, so each µs of client CPU counts: per miss + set ragcache's client spends 44-60 µs against 20-28 µs for plain ioredis. With Redis faked at ioredis' sendCommand the chain's own work is 18-19.5 µs against 2.5 µs: the frozen copy of the value at set (JSON.parse + deep freeze, 4-4.5 µs; building it at the first read instead saved 0.73-0.78× of that loop's CPU but broke custom layers that proxy entries or assign their value, so it was reverted), the newest-write and changed-key records (inserts into 100 000- and 10 000-key maps, ~1 µs), JSON.stringify, the envelope, normalization + SHA-256 of the new text, the memory layer's insert and eviction, and the promise steps and deadlines of the read and the write; ioredis' per-command timers and the write router measured at most 0.5 µs each (RESULTS.md, Profiles).",
  W4: "Single flight across processes (the redis layer's default singleFlight) takes a Redis lock for the load: the first use subscribes to the flights channel, then the lock script, the fenced write and the release, about 10 commands and a few round trips on top of the 50 ms loader. A second loader run or a caller without a value would be a regression in src/chain/loads.ts or plugins/redis/flight.ts.",
  W5: "Zipf mixes the three paths above (about 68 % L1 hits by text, 24 % L2 hits with a freeze and a back-fill, 9 % misses with a write); a process alone on the invalidation bus no longer takes the cross-process single-flight lock, so what is left is the chain CPU of those three paths (RESULTS.md, Profiles).",
} as const;
