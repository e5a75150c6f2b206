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

/** A contender made ready for L1 reads: its entries stored, its handles (text or precomputed key) built. */
export interface L1Reader {
  name: string;
  read: (i: number) => unknown;
}

/**
 * Stores `keys` entries that all fit in L1 and answers a reader that reads them in the random
 * `order`. With 10k keys the entries do not stay in the CPU cache, as a few hundred read
 * round-robin would.
 */
export async function l1Reader(name: string, contender: Contender, keys: number, order: Uint32Array): Promise<L1Reader> {
  await preload(contender, keys);
  const handles = Array.from({ length: keys }, (_, i) => contender.key?.(keyOf(i)) ?? keyOf(i));
  for (const handle of handles) assertHit(name, await answerOf(contender.get(handle)));
  const mask = order.length - 1;
  return { name, read: (i) => contender.get(handles[order[i & mask]!]) };
}

/**
 * Ops/s of each reader, measured in `slices` turns that alternate between the readers (each slice
 * `ms / slices` long, after one warm-up turn), so load from other work on the machine falls on all
 * of them alike within the round.
 */
export async function l1Hits(readers: readonly L1Reader[], ms: number, slices: number): Promise<Map<string, number>> {
  for (const reader of readers) await opsPerSecond(reader.read, ms / slices);
  const totals = new Map(readers.map((reader) => [reader.name, 0]));
  for (let slice = 0; slice < slices; slice++)
    for (const reader of readers)
      totals.set(reader.name, totals.get(reader.name)! + (await opsPerSecond(reader.read, ms / slices)));
  return new Map([...totals].map(([name, sum]) => [name, sum / slices]));
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
