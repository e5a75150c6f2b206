import type Redis from "ioredis";
import type { Contender } from "../peers/index.ts";
import { opsPerSecond, opsPerSecondConcurrent, pool, seeded, sleep, zipf } from "./measure.ts";

/** A ~1 KB retrieval result, the value every workload stores. */
export function retrievalResult(i: number): object {
  return {
    query: `question number ${i}`,
    docs: Array.from({ length: 5 }, (_, d) => ({
      id: `doc-${i}-${d}`,
      score: Number((0.93 - d * 0.07).toFixed(2)),
      text: `Passage ${d} of document ${i}: retrieval-augmented generation grounds an answer in retrieved text.`.padEnd(150, "."),
    })),
  };
}

export const keyOf = (i: number) => `bench:q:${i}`;

function assertHit(name: string, answer: unknown): void {
  if (answer === undefined || answer === null) throw new Error(`${name} answered a miss for a key it had just stored`);
}

async function answerOf(answer: unknown): Promise<unknown> {
  return answer instanceof Promise ? await answer : answer;
}

async function preload(contender: Contender, keys: number): Promise<void> {
  await pool(
    Array.from({ length: keys }, (_, i) => i),
    64,
    async (i) => contender.set(keyOf(i), retrievalResult(i)),
  );
}

/** L1 hit: `keys` entries that all fit in L1, read round-robin, one caller. */
export async function l1Hit(name: string, contender: Contender, keys: number, ms: number): Promise<number> {
  await preload(contender, keys);
  const handles = Array.from({ length: keys }, (_, i) => contender.key?.(keyOf(i)) ?? keyOf(i));
  assertHit(name, await answerOf(contender.get(handles[0])));
  await opsPerSecond((i) => contender.get(handles[i % keys]), ms / 4);
  return opsPerSecond((i) => contender.get(handles[i % keys]), ms);
}

/**
 * L2 hit: more keys than L1 holds, read cyclically, so every read misses L1 and hits Redis (and
 * back-fills L1, as it would in production). Sequential and with `inflight` concurrent callers.
 */
export async function l2Hit(
  name: string,
  contender: Contender,
  keys: number,
  inflight: number,
  ms: number,
): Promise<{ sequential: number; concurrent: number }> {
  await preload(contender, keys);
  assertHit(name, await answerOf(contender.get(keyOf(0))));
  const sequential = await opsPerSecond((i) => contender.get(keyOf((i + 1) % keys)), ms);
  const concurrent = await opsPerSecondConcurrent((i) => contender.get(keyOf(i % keys)), inflight, ms);
  return { sequential, concurrent };
}

/** Miss + set: a get that misses every tier, then a write-through set of a 1 KB value. */
export async function missSet(contender: Contender, ms: number, round: number): Promise<number> {
  const value = retrievalResult(round);
  return opsPerSecond(async (i) => {
    const key = `bench:miss:${round}:${i}`;
    await contender.get(key);
    await contender.set(key, value);
  }, ms);
}

export interface Stampede {
  loaderRuns: number;
  wallMs: number;
  /** Callers that got the loaded value. */
  served: number;
}

/** `callers` concurrent get-or-load calls on one missing key; the loader takes `loaderMs`. */
export async function stampede(contender: Contender, callers: number, loaderMs: number, round: number): Promise<Stampede> {
  const value = retrievalResult(round);
  let loaderRuns = 0;
  const loader = async () => {
    loaderRuns++;
    await sleep(loaderMs);
    return value;
  };
  const key = `bench:stampede:${round}`;
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: callers }, () => answerOf(contender.getOrSet!(key, loader))));
  const wallMs = performance.now() - started;
  return { loaderRuns, wallMs, served: answers.filter((answer) => answer !== undefined).length };
}

/** The same Zipf(s) key stream for every contender. */
export function zipfStream(requests: number, keys: number, s: number, seed: number): Uint32Array {
  const draw = zipf(keys, s, seeded(seed));
  return Uint32Array.from({ length: requests }, draw);
}

export interface ZipfRun {
  ms: number;
  loaderRuns: number;
  /** Reads Redis answered with a value (from its INFO keyspace_hits), capped at the requests that were not loads. */
  redisHits: number;
}

/** The stream through get-or-load with `inflight` concurrent callers and a `loaderMs` loader. */
export async function zipfRun(
  contender: Contender,
  stream: Uint32Array,
  inflight: number,
  loaderMs: number,
  admin: Redis,
): Promise<ZipfRun> {
  let loaderRuns = 0;
  const values = new Map<number, object>();
  await admin.config("RESETSTAT");
  const started = performance.now();
  await pool(Array.from(stream), inflight, async (rank) => {
    const answer = await answerOf(
      contender.getOrSet!(keyOf(rank), async () => {
        loaderRuns++;
        await sleep(loaderMs);
        let value = values.get(rank);
        if (!value) values.set(rank, (value = retrievalResult(rank)));
        return value;
      }),
    );
    if (answer === undefined) throw new Error("get-or-load answered undefined");
  });
  const ms = performance.now() - started;
  const info = await admin.info("stats");
  const keyspaceHits = Number(/keyspace_hits:(\d+)/.exec(info)?.[1] ?? 0);
  return { ms, loaderRuns, redisHits: Math.min(keyspaceHits, stream.length - loaderRuns) };
}
