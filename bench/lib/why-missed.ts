/**
 * Why a goal of bench/contenders.ts was missed, as far as profiles show: printed in RESULTS.md's
 * closing note next to the measured figure. Profiles: bun --cpu-prof on single workloads, and
 * cachegrind instruction and D1-miss counts of one L1 read (bench/RESULTS.md, "Profiles").
 */
export const WHY_MISSED = {
  "W1 by key":
    "A hit by precomputed key is the memory layer's lru-cache get plus the walk (a loop, an expiry check against the chain's clock, a hit counter, the Found record): near the raw get, and what remains of the gap is the walk's own instructions. On this shared machine the ratio moves by ±0.15 between runs.",
  "W1 by text":
    "A lookup by text is two dependent hash lookups where raw lru-cache makes one: the key memo (text -> CacheKey, comparing the caller's string with the stored one) and then the LRU (id -> entry). With 10k keys both miss the CPU caches, so the text path pays roughly twice the memory latency of the raw get; cachegrind counts the extra D1 misses per read (RESULTS.md, Profiles). Closing it needs one lookup for both (an L1 keyed by text), a change of the layer contract left for later.",
  "W1 metrics":
    "The metrics plugin adds no work to an unsampled hit; the figure follows the by-text figure (two hash lookups per read) within the machine's noise.",
  "W2 redis":
    "Per L2 hit the layer does more than raw GET + JSON.parse: the chain's deadline (a promise and a timer per async layer call), the pool's accounting and its then-step, ioredis' per-command timer (commandTimeout), the breaker's success count and the envelope decode. No single hot spot: the CPU profile spreads it over these at 0.5-2 % each beside the socket writes (RESULTS.md, Profiles).",
  "W2 chain":
    "As for the redis layer alone, plus the memory layer's miss and the back-fill of every L2 hit (an LRU insert that evicts, with its dispose callback).",
  W3: "With nobody else on the bus no PUBLISH is sent any more and sequential commands skip auto-pipelining; what is left is chain CPU per write (key normalization and hashing of a new text, the entry's JSON and envelope, the write router) and per miss (the walk, two timers).",
  W4: "Single flight let a second loader run, a caller got no value, or the wall time exceeded 1.1x the loader: a regression in src/chain/cache.ts getOrSet / #sharedFind / #load.",
  W5: "Zipf mixes the three paths above (about 68 % L1 hits by text, 24 % L2 hits with a freeze and a back-fill, 9 % misses with a write): the bench process spends about twice the hand-written reference's CPU per request, spread over key memo lookups, freezing, the walk, timers and the redis layer's accounting (RESULTS.md, Profiles).",
} as const;
