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
    "Per L2 hit the layer does more than raw GET + JSON.parse: the chain's deadline (a promise and a timer per async layer call), the pool's accounting and its then-step, ioredis' per-command timer (commandTimeout), the breaker's success count and the envelope decode. No single hot spot: the CPU profile spreads it over these at 0.5-2 % each beside the socket writes (RESULTS.md, Profiles).",
  "W2 chain":
    "As for the redis layer alone, plus the memory layer's miss and the back-fill of every L2 hit (an insert that evicts by SIEVE, with its removal callback).",
  W3: "With nobody else on the bus no PUBLISH is sent any more and sequential commands skip auto-pipelining; what is left is chain CPU per write (key normalization and hashing of a new text, the entry's JSON and envelope, the write router) and per miss (the walk, two timers).",
  W4: "Single flight across processes (the redis layer's default singleFlight) takes a Redis lock for the load: the first use subscribes to the flights channel, then the lock script, the fenced write and the release, about 10 commands and a few round trips on top of the 50 ms loader. A second loader run or a caller without a value would be a regression in src/chain/loads.ts or plugins/redis/flight.ts.",
  W5: "Zipf mixes the three paths above (about 68 % L1 hits by text, 24 % L2 hits with a freeze and a back-fill, 9 % misses with a write); a process alone on the invalidation bus no longer takes the cross-process single-flight lock, so what is left is the chain CPU of those three paths (RESULTS.md, Profiles).",
} as const;
