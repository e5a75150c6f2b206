/**
 * Why a goal of bench/contenders.ts was missed, as far as profiles show: printed in RESULTS.md's
 * closing note next to the measured figure. Profiles: bun --cpu-prof on single workloads, and
 * cachegrind instruction and D1-miss counts of one L1 read (bench/RESULTS.md, "Profiles").
 */
export const WHY_MISSED = {
  "W1 by key":
    "A hit by precomputed key touches the memory layer's node that the key object holds (no hash lookup), then the walk (a loop, an expiry check against the chain's clock, a hit counter, the Found record). With 10k keys the time goes to the dependent cache misses (key object, node, entry) rather than to instructions; the ratio moves by ±0.15 between runs on this machine.",
  "W1 by text":
    "A lookup by text adds the key memo (text -> CacheKey, a hash lookup whose string compare reads the caller's text and the stored one) in front of the by-key read. The memory layer itself no longer looks the key up (it follows the node the key object holds), yet with 10k keys the memo's bucket and stored text, then the key, node and entry, are a chain of dependent cache misses about twice as long as the raw get's (RESULTS.md, Profiles).",
  "W1 metrics":
    "The metrics plugin adds no work to an unsampled hit; the figure follows the by-text figure (two hash lookups per read) within the machine's noise.",
  "W2 redis":
    "Concurrent lookups share one MGET, so the Redis side of a hit (command, reply, pool slot) costs less than raw ioredis' pipelined GET, and the layer alone matches raw GET + JSON.parse. What is left is chain CPU: Object.freeze of the value's array (JavaScriptCore stores a frozen array in its slow mode, 0.5-1 µs per array; see the freezeValues: false row), the chain's deadline (a promise and a queue entry per async layer call), the walk and the envelope decode (RESULTS.md, Profiles).",
  "W2 chain":
    "As for the redis layer alone, plus the memory layer's miss and the back-fill of every L2 hit: an insert into the memory layer that evicts (a new node, a Map insert and delete, the removal callback), about 1.4 µs per hit (measured with the LRU before SIEVE) in a Redis-free microbenchmark of the chain, more than the rest of the chain's own work.",
  W3: "Redis shares the client's core, so each µs of client CPU counts: per miss + set ragcache's client spends 44-60 µs against 20-28 µs for plain ioredis. With Redis faked at ioredis' sendCommand the chain's own work is 18-19.5 µs against 2.5 µs: the frozen copy of the value at set (JSON.parse + deep freeze, 4-4.5 µs), the newest-write stamp record (~1 µs), JSON.stringify, the envelope, normalization + SHA-256 of the new text, the memory layer's insert and eviction, and the promise steps and deadlines of the read and the write; ioredis' per-command timers and the write router measured at most 0.5 µs each (RESULTS.md, Profiles).",
  W4: "Single flight across processes (the redis layer's default singleFlight) takes a Redis lock for the load: the first use subscribes to the flights channel, then the lock script, the fenced write and the release, about 10 commands and a few round trips on top of the 50 ms loader. A second loader run or a caller without a value would be a regression in src/chain/loads.ts or plugins/redis/flight.ts.",
  W5: "Zipf mixes the three paths above (about 68 % L1 hits by text, 24 % L2 hits with a freeze and a back-fill, 9 % misses with a write); a process alone on the invalidation bus no longer takes the cross-process single-flight lock, so what is left is the chain CPU of those three paths (RESULTS.md, Profiles).",
} as const;
