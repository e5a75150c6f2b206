import { join } from "node:path";
import { Redis } from "ioredis";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { formatMs, formatOps, formatRatio, interleavedOps, median, sleep } from "./lib/measure.ts";
import { benchRedis, commandCalls } from "./lib/redis-server.ts";
import { writeTopic } from "./lib/report.ts";
import { bentocacheRedis } from "./peers/bentocache.ts";
import { cacheManagerRedis } from "./peers/cache-manager.ts";
import { ragcacheRedis } from "./peers/ragcache.ts";

/**
 * A stampede across processes: 4 processes × 250 concurrent get-or-load calls of one missing key,
 * each process a contender with a memory tier over one Redis, released at once. Loader runs in all
 * and wall time (the slowest process, from its release to its last answer), interleaved rounds.
 */

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PROCESSES = 4;
const CALLERS = env("BENCH_STAMPEDE_CALLERS", 250);
const LOADER_MS = env("BENCH_STAMPEDE_LOADER_MS", 200);
const ROUNDS = env("BENCH_ROUNDS", 5);
const CONTENDERS = [ragcacheRedis, bentocacheRedis, cacheManagerRedis];

interface Round {
  runs: number;
  wallMs: number;
  served: number;
  /** Commands Redis ran for the stampede, every process together (INFO commandstats before and after). */
  redisCommands?: number;
}

/** Commands the bench sends itself to read the counters. */
const OWN_COMMANDS = new Set(["info"]);

async function commandsSince(before: Map<string, number>): Promise<number> {
  let total = 0;
  for (const [command, calls] of await commandCalls(admin))
    if (!OWN_COMMANDS.has(command)) total += calls - (before.get(command) ?? 0);
  return total;
}

/**
 * The price of the lock when nobody contends: getOrSet of a new key each time (a miss that loads
 * at once and writes through memory and Redis), one process, single flight across processes on and off.
 */
async function uncontendedMisses(redisUrl: string): Promise<Record<string, number>> {
  const value = { answer: "a".repeat(600), sources: ["doc-1", "doc-2"] };
  const chains = [true, false].map((singleFlight) =>
    createCache({ layers: [memory(), redis({ url: redisUrl, prefix: `miss-${singleFlight}:`, singleFlight, log: () => {} })] }),
  );
  let next = 0;
  const { medians } = await interleavedOps(
    {
      "singleFlight on (default)": () => chains[0]!.getOrSet(`miss:${next++}`, () => value),
      "singleFlight off": () => chains[1]!.getOrSet(`miss:${next++}`, () => value),
    },
    ROUNDS,
    300,
  );
  await Promise.all(chains.map((chain) => chain.close()));
  return medians;
}

/** One worker process and a way to send it a line and read its next answer line. */
function spawnWorker(name: string, redisUrl: string) {
  const child = Bun.spawn(
    ["bun", "run", join(import.meta.dir, "lib/stampede-worker.ts"), name, redisUrl, String(CALLERS), String(LOADER_MS)],
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the ${name} worker exited`);
      buffered += value;
    }
    const line = buffered.slice(0, buffered.indexOf("\n"));
    buffered = buffered.slice(line.length + 1);
    return line;
  };
  const send = (line: string) => {
    child.stdin.write(`${line}\n`);
    child.stdin.flush();
  };
  return { child, nextLine, send };
}

const server = await benchRedis();
const admin = new Redis(server.url);
const results = new Map<string, Round[]>(CONTENDERS.map((spec) => [spec.name, []]));
let rtts: number[] = [];
let missOps: Record<string, number> = {};
try {
  const fleets = new Map<string, ReturnType<typeof spawnWorker>[]>();
  for (const spec of CONTENDERS) {
    const fleet = Array.from({ length: PROCESSES }, () => spawnWorker(spec.name, server.url));
    for (const worker of fleet) if ((await worker.nextLine()) !== "ready") throw new Error(`${spec.name} did not start`);
    fleets.set(spec.name, fleet);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const spec of CONTENDERS) {
      const fleet = fleets.get(spec.name)!;
      const before = await commandCalls(admin);
      for (const worker of fleet) worker.send(`go stampede:${round}`);
      const answers = (await Promise.all(fleet.map((worker) => worker.nextLine()))).map((line) => JSON.parse(line) as Round);
      // Writes behind the answers (a publish, a lock release) still belong to the stampede.
      await sleep(50);
      results.get(spec.name)!.push({
        runs: answers.reduce((sum, answer) => sum + answer.runs, 0),
        wallMs: Math.max(...answers.map((answer) => answer.wallMs)),
        served: answers.reduce((sum, answer) => sum + answer.served, 0),
        redisCommands: await commandsSince(before),
      });
      console.error(`round ${round} ${spec.name}: ${JSON.stringify(results.get(spec.name)!.at(-1))}`);
    }
  }
  for (const fleet of fleets.values()) for (const worker of fleet) worker.send("exit");
  await Promise.all([...fleets.values()].flat().map((worker) => worker.child.exited));
  missOps = await uncontendedMisses(server.url);
  rtts = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    await admin.ping();
    rtts.push(performance.now() - started);
  }
} finally {
  admin.disconnect();
  await server.stop();
}

const rtt = median(rtts);
const rows = CONTENDERS.map((spec) => {
  const rounds = results.get(spec.name)!;
  const wall = median(rounds.map((r) => r.wallMs));
  return [
    spec.name,
    rounds.map((r) => r.runs).join(", "),
    formatMs(wall),
    `${(wall / LOADER_MS).toFixed(2)}×`,
    `${Math.min(...rounds.map((r) => r.served))} / ${PROCESSES * CALLERS}`,
    String(median(rounds.map((r) => r.redisCommands ?? 0))),
  ];
});
const ours = results.get(ragcacheRedis.name)!;
const ourWall = median(ours.map((r) => r.wallMs));
writeTopic("stampede-processes", {
  title: "Stampede across processes: loader runs and wall time",
  method: [
    `${PROCESSES} processes, each a contender with a memory tier over one private Redis, each with ${CALLERS} concurrent get-or-load calls of one missing key; the loader sleeps ${LOADER_MS} ms. Every process is started and connected first, then all are released by one line on stdin; wall time is the slowest process's, from its release to its last answer. ${ROUNDS} interleaved rounds, a fresh key each; medians. Redis round trip (PING, median of 50): ${formatMs(rtt)} ms.`,
    "ragcache runs its redis layer's distributed single flight (a leased lock, woken by pub/sub); bentocache and cache-manager run the single flight each has within a process.",
  ],
  tables: [
    {
      caption: `${PROCESSES} processes × ${CALLERS} callers, ${LOADER_MS} ms loader`,
      columns: [
        "contender",
        "loader runs per round",
        "wall ms (median)",
        "wall / loader",
        "callers served (worst round)",
        "Redis commands (median)",
      ],
      rows,
    },
    {
      caption: "getOrSet of a new key each time (a miss, loaded and written through memory + Redis), one process, no contention",
      columns: ["ragcache redis layer", "ops/s (median)", "ratio to off"],
      rows: Object.entries(missOps).map(([variant, ops]) => [
        variant,
        formatOps(ops),
        formatRatio(ops / missOps["singleFlight off"]!),
      ]),
    },
  ],
  goals: [
    {
      goal: "ragcache across processes: 1 loader run per stampede",
      met: ours.every((r) => r.runs === 1),
      measured: `runs per round ${ours.map((r) => r.runs).join(", ")}`,
      whyMissed:
        "A process took the lock after the holder released it without seeing its value, or Redis was too slow to answer a lock command in time.",
    },
    {
      goal: "ragcache across processes: wall ≤ 1.1 × the loader + one Redis round trip",
      met: ourWall <= 1.1 * LOADER_MS + rtt,
      measured: `${formatMs(ourWall)} ms vs ${formatMs(1.1 * LOADER_MS + rtt)} ms`,
      whyMissed:
        "Waking the waiting processes (release, pub/sub message, a read from Redis) and the release of 4 processes from one pipe took longer than a tenth of the loader on this loaded machine.",
    },
  ],
  packages: ["ioredis", "bentocache", "cache-manager"],
  data: { config: { PROCESSES, CALLERS, LOADER_MS, ROUNDS }, rttMs: rtt, results: Object.fromEntries(results), missOps },
});
console.log("wrote bench/results/stampede-processes.{json,md}");
