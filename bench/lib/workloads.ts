import type Redis from "ioredis";
import type { Contender } from "../peers/index.ts";
import { commandCalls } from "./redis-server.ts";
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

/**
 * `length` key indexes drawn uniformly from `keys`, the same for every contender. A power of two, so
 * a reader walks it with a mask instead of a division.
 */
export function randomOrder(keys: number, length = 1 << 16, seed = 7): Uint32Array {
  const random = seeded(seed);
  return Uint32Array.from({ length }, () => Math.floor(random() * keys));
}

/** Named measurements of one contender, each answering ops/s over about `ms`. */
export type Measures = Record<string, (ms: number) => Promise<number>>;

/**
 * L1 hits: stores `keys` entries that all fit in L1 and reads them in the random `order`. With 10k
 * keys the entries do not stay in the CPU cache, as a few hundred read round-robin would.
 */
export async function l1Hit(name: string, contender: Contender, keys: number, order: Uint32Array): Promise<Measures> {
  await preload(contender, keys);
  const handles = Array.from({ length: keys }, (_, i) => contender.key?.(keyOf(i)) ?? keyOf(i));
  for (const handle of handles) assertHit(name, await answerOf(contender.get(handle)));
  const mask = order.length - 1;
  return { hit: (ms) => opsPerSecond((i) => contender.get(handles[order[i & mask]!]), ms) };
}

/**
 * L2 hits: more keys than L1 holds, read cyclically, so every read misses L1 and hits Redis (and
 * back-fills L1, as it would in production). Sequential and with `inflight` concurrent callers.
 */
export async function l2Hit(name: string, contender: Contender, keys: number, inflight: number): Promise<Measures> {
  await preload(contender, keys);
  assertHit(name, await answerOf(contender.get(keyOf(0))));
  let next = 1;
  return {
    sequential: (ms) => opsPerSecond(() => contender.get(keyOf(next++ % keys)), ms),
    concurrent: (ms) => opsPerSecondConcurrent(() => contender.get(keyOf(next++ % keys)), inflight, ms),
  };
}

/** Miss + set: a get that misses every tier, then a write-through set of a 1 KB value; never the same key twice. */
export async function missSet(name: string, contender: Contender): Promise<Measures> {
  const value = retrievalResult(0);
  const tag = name.replace(/\W+/g, "-");
  let next = 0;
  return {
    ops: (ms) =>
      opsPerSecond(async () => {
        const key = `bench:miss:${tag}:${next++}`;
        await contender.get(key);
        await contender.set(key, value);
      }, ms),
  };
}

/**
 * Runs every contender's measures in `slices` turns that alternate between the contenders (after
 * one warm-up turn), each turn `ms / slices` long, so load from other work on the machine falls on
 * all of them alike. Answers each contender's mean ops/s per measure.
 */
export async function alternate(
  contenders: ReadonlyMap<string, Measures>,
  ms: number,
  slices: number,
): Promise<Map<string, Record<string, number>>> {
  const turn = ms / slices;
  for (const measures of contenders.values()) for (const measure of Object.values(measures)) await measure(turn);
  const totals = new Map([...contenders.keys()].map((name) => [name, {} as Record<string, number>]));
  for (let slice = 0; slice < slices; slice++) {
    for (const [name, measures] of contenders) {
      const total = totals.get(name)!;
      for (const [measure, run] of Object.entries(measures)) total[measure] = (total[measure] ?? 0) + (await run(turn)) / slices;
    }
  }
  return totals;
}

export interface Stampede {
  loaderRuns: number;
  wallMs: number;
  /** Callers that got the loaded value. */
  served: number;
  /** Commands Redis ran for the stampede (INFO commandstats before and after), by command and in all. */
  redisCommands: Record<string, number>;
  redisTotal: number;
}

/** Commands the bench itself sends to read the counters, not part of any contender's work. */
const BENCH_COMMANDS = new Set(["info", "config|resetstat", "config", "flushall"]);

/**
 * `callers` concurrent get-or-load calls on one missing key; the loader takes `loaderMs`. Redis
 * commands are counted until the contender is quiet (a write's publish may follow the answers).
 */
export async function stampede(
  contender: Contender,
  callers: number,
  loaderMs: number,
  round: number,
  admin: Redis,
): Promise<Stampede> {
  const value = retrievalResult(round);
  let loaderRuns = 0;
  const loader = async () => {
    loaderRuns++;
    await sleep(loaderMs);
    return value;
  };
  const key = `bench:stampede:${round}`;
  const before = await commandCalls(admin);
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: callers }, () => answerOf(contender.getOrSet!(key, loader))));
  const wallMs = performance.now() - started;
  await sleep(20);
  const redisCommands: Record<string, number> = {};
  for (const [command, calls] of await commandCalls(admin)) {
    const delta = calls - (before.get(command) ?? 0);
    if (delta > 0 && !BENCH_COMMANDS.has(command)) redisCommands[command] = delta;
  }
  const redisTotal = Object.values(redisCommands).reduce((sum, calls) => sum + calls, 0);
  return { loaderRuns, wallMs, served: answers.filter((answer) => answer !== undefined).length, redisCommands, redisTotal };
}

/** The same Zipf(s) key stream for every contender. */
export function zipfStream(requests: number, keys: number, s: number, seed: number): Uint32Array {
  const draw = zipf(keys, s, seeded(seed));
  return Uint32Array.from({ length: requests }, draw);
}

export interface ZipfRun {
  ms: number;
  /** CPU time of the bench process (user + system) during the run; Redis' own is not included. */
  cpuMs: number;
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
  const cpu = process.cpuUsage();
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
  const used = process.cpuUsage(cpu);
  const info = await admin.info("stats");
  const keyspaceHits = Number(/keyspace_hits:(\d+)/.exec(info)?.[1] ?? 0);
  return {
    ms,
    cpuMs: (used.user + used.system) / 1000,
    loaderRuns,
    redisHits: Math.min(keyspaceHits, stream.length - loaderRuns),
  };
}
