import Redis from "ioredis";
import { formatMs, formatOps, formatRatio, judgeOnRounds, median } from "./lib/measure.ts";
import { redisServerVersion } from "./lib/machine.ts";
import { benchRedis, pinBesideRedis } from "./lib/redis-server.ts";
import { writeTopic, type Goal } from "./lib/report.ts";
import { medianOf, ratioOf, ratiosOf, roundRunner, valuesOf, type Figures } from "./lib/rounds.ts";
import {
  l1Hit,
  l2Hit,
  missSet,
  randomOrder,
  stampede,
  zipfRun,
  zipfStream,
  type Stampede,
  type ZipfRun,
} from "./lib/workloads.ts";
import { contenders, type ContenderSetup, type ContenderSpec } from "./peers/index.ts";
import { barChart, writeChart } from "./svg.ts";
import { WHY_MISSED } from "./lib/why-missed.ts";

/**
 * Every contender through the same workloads, interleaved round by round; medians, and ratios taken
 * within each round (then their median), so drift between rounds does not enter a ratio.
 * BENCH_WORKLOADS=l1,l2,write,stampede,zipf picks workloads (goals of the others are not judged).
 */

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ROUNDS = env("BENCH_ROUNDS", 5);
const MEASURE_MS = env("BENCH_MEASURE_MS", 300);
const WORKLOADS = new Set((process.env.BENCH_WORKLOADS ?? "l1,l2,write,stampede,zipf").split(","));
const L1_KEYS = 10_000;
const SLICES = 8;
const L1_MAX = 1_000;
const INFLIGHT = 64;
const ZIPF = { requests: 100_000, keys: 10_000, s: 1.0, inflight: 64, loaderMs: 5 };
const STAMPEDE = { callers: 1_000, loaderMs: 50 };

const server = await benchRedis();
const admin = new Redis(server.url);
const pinnedCpu = process.env.BENCH_PIN === "0" ? undefined : await pinBesideRedis(admin);
const loadAtStart = (await import("node:os")).loadavg().map((load) => load.toFixed(2));
const setup: ContenderSetup = { redisUrl: server.url, l1Max: L1_MAX, ttlMs: 600_000 };
const problems = new Map<string, string>();

const { interleaved, sliced: slicedRounds } = roundRunner({
  admin,
  setup,
  rounds: ROUNDS,
  workloads: WORKLOADS,
  slicedMs: 2 * MEASURE_MS,
  slices: SLICES,
  problems,
});

const memoryTier = contenders.filter((spec) => spec.tiers === "memory");
const redisTier = contenders.filter((spec) => spec.tiers !== "memory");
// Get-or-load workloads: every contender with a loader API (raw clients have none).
const loading = contenders.filter((spec) => !spec.variant && (!spec.baseline || spec.tiers === "memory+redis"));
const chained = loading.filter((spec) => spec.tiers === "memory+redis");

const order = randomOrder(L1_KEYS);
const l1 = await slicedRounds("l1", memoryTier, (c, spec) => l1Hit(spec.name, c, L1_KEYS, order), L1_KEYS);
const l2 = await slicedRounds("l2", redisTier, (c, spec) => l2Hit(spec.name, c, 2 * L1_MAX, INFLIGHT));
const writes = await slicedRounds("write", redisTier, (c, spec) => missSet(spec.name, c));
const stampedes = await interleaved<Stampede>("stampede", loading, (c, _spec, round) =>
  stampede(c, STAMPEDE.callers, STAMPEDE.loaderMs, round, admin),
);
const stream = zipfStream(ZIPF.requests, ZIPF.keys, ZIPF.s, 42);
const zipfs = await interleaved<ZipfRun>("zipf", chained, (c) => zipfRun(c, stream, ZIPF.inflight, ZIPF.loaderMs, admin));

admin.disconnect();
await server.stop();

const LRU = "raw lru-cache";
const PIPELINED = "raw ioredis (auto-pipelining)";
const PLAIN = "raw ioredis (plain)";
const HAND = "hand-written lru-cache + ioredis + single flight";
const OURS = {
  text: "ragcache (memory)",
  key: "ragcache (memory, precomputed key)",
  metrics: "ragcache (memory, metrics)",
  metricsKey: "ragcache (memory, precomputed key, metrics)",
  redis: "ragcache (redis)",
  chain: "ragcache (memory+redis)",
};
const isOurs = (name: string) => name.startsWith("ragcache");
const l1Ops = (name: string) => medianOf(l1, name, (r) => r.hit!);
const l1Ratios = (name: string) => ratiosOf(l1, name, LRU, (r) => r.hit!);
const l1Ratio = (name: string) => median(l1Ratios(name));
const l2Seq = (r: Figures) => r.sequential!;
const l2Par = (r: Figures) => r.concurrent!;
const writeOps = (r: Figures) => r.ops!;
const zipfMs = (name: string) => medianOf(zipfs, name, (r) => r.ms);
const spread = (values: number[]) =>
  values.length ? `${formatOps(Math.min(...values))}–${formatOps(Math.max(...values))}` : "—";

const l1Rows = memoryTier.map((spec) => [
  spec.name,
  formatOps(l1Ops(spec.name)),
  formatRatio(l1Ratio(spec.name)),
  spread(valuesOf(l1, spec.name).map((r) => r.hit!)),
]);
const l2Rows = redisTier.map((spec) => [
  spec.name,
  formatOps(medianOf(l2, spec.name, l2Seq)),
  formatRatio(ratioOf(l2, spec.name, PLAIN, l2Seq)),
  formatOps(medianOf(l2, spec.name, l2Par)),
  formatRatio(ratioOf(l2, spec.name, PIPELINED, l2Par)),
  formatOps(medianOf(writes, spec.name, writeOps)),
  formatRatio(ratioOf(writes, spec.name, PLAIN, writeOps)),
]);
const commandsOf = (runs: Stampede[]) => {
  if (!runs.length) return "—";
  const median_ = (pick: (r: Stampede) => number) => median(runs.map(pick));
  const byCommand = [...new Set(runs.flatMap((r) => Object.keys(r.redisCommands)))]
    .sort()
    .map((command) => `${command} ${median_((r) => r.redisCommands[command] ?? 0)}`);
  return `${median_((r) => r.redisTotal)}${byCommand.length ? ` (${byCommand.join(", ")})` : ""}`;
};
const stampedeRows = loading.map((spec) => {
  const runs = valuesOf(stampedes, spec.name);
  const loaders = runs.map((r) => r.loaderRuns);
  const wall = medianOf(stampedes, spec.name, (r) => r.wallMs);
  return [
    spec.name,
    runs.length ? `${median(loaders)} (max ${Math.max(...loaders)})` : "—",
    formatMs(wall),
    formatRatio(wall / STAMPEDE.loaderMs),
    commandsOf(runs),
    runs.length ? `${Math.min(...runs.map((r) => r.served))}/${STAMPEDE.callers}` : "—",
  ];
});
const zipfRows = chained.map((spec) => {
  const runs = valuesOf(zipfs, spec.name);
  const pick = (f: (run: ZipfRun) => number) => median(runs.map(f));
  const loads = pick((run) => run.loaderRuns);
  const l2Hits = pick((run) => run.redisHits);
  const pct = (n: number) => (runs.length ? `${((100 * n) / ZIPF.requests).toFixed(1)} %` : "—");
  return [
    spec.name,
    formatMs(zipfMs(spec.name)),
    formatRatio(ratioOf(zipfs, spec.name, HAND, (r) => r.ms)),
    formatMs(pick((run) => run.cpuMs)),
    formatRatio(ratioOf(zipfs, spec.name, HAND, (r) => r.cpuMs)),
    pct(ZIPF.requests - loads - l2Hits),
    pct(l2Hits),
    runs.length ? String(loads) : "—",
  ];
});

const bars = (specs: readonly ContenderSpec[], value: (name: string) => number) =>
  specs.map((spec) => ({ label: spec.name, value: value(spec.name), highlight: isOurs(spec.name) }));
const chart = (workload: string, file: string, caption: string, svg: () => string) =>
  WORKLOADS.has(workload) ? [{ file: writeChart(file, svg()), caption }] : [];
const charts = [
  ...chart("l1", "l1-hit", "L1 hit ops/s per contender", () =>
    barChart({
      title: "L1 hit, 10k keys in random order, ops/s (median)",
      unit: "ops/s",
      log: true,
      bars: bars(memoryTier, l1Ops),
      format: formatOps,
    }),
  ),
  ...chart("l2", "l2-hit-64", `L2 hit ops/s at ${INFLIGHT} in flight`, () =>
    barChart({
      title: `L2 hit, ${INFLIGHT} in flight, ops/s (median)`,
      unit: "ops/s",
      bars: bars(redisTier, (name) => medianOf(l2, name, l2Par)),
      format: formatOps,
    }),
  ),
  ...chart("zipf", "zipf", "Zipf stream wall time per contender", () =>
    barChart({
      title: "Zipf 100k requests, wall time (median, lower is better)",
      unit: "ms",
      bars: bars(chained, zipfMs),
      format: (ms) => `${ms.toFixed(0)} ms`,
    }),
  ),
];

/** A goal of issue's table, judged only when its workload ran. */
function target(workload: string, id: keyof typeof WHY_MISSED, goal: string, verdict: Pick<Goal, "met" | "measured">): Goal[] {
  return WORKLOADS.has(workload) ? [{ goal: `${id}: ${goal}`, ...verdict, whyMissed: WHY_MISSED[id] }] : [];
}
const ratioGoal = (workload: string, id: keyof typeof WHY_MISSED, goal: string, ratios: number[], floor: number) =>
  target(
    workload,
    id,
    goal,
    judgeOnRounds(ratios, (ratio) => ratio >= floor),
  );

const chainStampede = valuesOf(stampedes, OURS.chain);
const stampedeWall = medianOf(stampedes, OURS.chain, (r) => r.wallMs);
const metricsVerdict = judgeOnRounds(l1Ratios(OURS.metrics), (ratio) => ratio >= 0.5);
const zipfVerdict = judgeOnRounds(
  ratiosOf(zipfs, OURS.chain, HAND, (r) => r.ms),
  (ratio) => ratio <= 1.1,
);
const goals: Goal[] = [
  ...ratioGoal("l1", "W1 by key", "L1 hit by precomputed key ≥ 0.8× raw lru-cache", l1Ratios(OURS.key), 0.8),
  ...ratioGoal("l1", "W1 by text", "L1 hit by text ≥ 0.6× raw lru-cache", l1Ratios(OURS.text), 0.6),
  ...target("l1", "W1 metrics", "L1 hit with the metrics plugin ≥ 0.5× raw lru-cache (by text)", {
    met: metricsVerdict.met,
    measured: `${metricsVerdict.measured}; by key ${formatRatio(l1Ratio(OURS.metricsKey))}`,
  }),
  ...ratioGoal(
    "l2",
    "W2 redis",
    `L2 hit, ${INFLIGHT} in flight, redis layer alone ≥ 0.9× auto-pipelined ioredis`,
    ratiosOf(l2, OURS.redis, PIPELINED, l2Par),
    0.9,
  ),
  ...ratioGoal(
    "l2",
    "W2 chain",
    `L2 hit, ${INFLIGHT} in flight, memory + redis ≥ 0.9× auto-pipelined ioredis`,
    ratiosOf(l2, OURS.chain, PIPELINED, l2Par),
    0.9,
  ),
  ...ratioGoal(
    "write",
    "W3",
    "miss + set through memory + redis ≥ 0.9× plain ioredis GET + SET",
    ratiosOf(writes, OURS.chain, PLAIN, writeOps),
    0.9,
  ),
  ...target(
    "stampede",
    "W4",
    `stampede, ${STAMPEDE.callers} callers, memory + redis: 1 loader run, wall ≤ 1.1× the ${STAMPEDE.loaderMs} ms loader`,
    {
      met:
        chainStampede.length > 0 &&
        chainStampede.every((r) => r.loaderRuns === 1 && r.served === STAMPEDE.callers) &&
        stampedeWall <= 1.1 * STAMPEDE.loaderMs,
      measured: `${Math.max(...chainStampede.map((r) => r.loaderRuns))} run(s) at most, wall ${formatMs(stampedeWall)} ms = ${formatRatio(stampedeWall / STAMPEDE.loaderMs)} the loader, ${commandsOf(chainStampede)} Redis commands`,
    },
  ),
  ...target(
    "zipf",
    "W5",
    `Zipf, ${ZIPF.requests / 1000}k getOrSet over ${ZIPF.keys / 1000}k keys, memory + redis: time ≤ 1.1× the hand-written reference`,
    {
      met: zipfVerdict.met,
      measured: `wall ${zipfVerdict.measured}, CPU ${formatRatio(ratioOf(zipfs, OURS.chain, HAND, (r) => r.cpuMs))}`,
    },
  ),
];

writeTopic("contenders", {
  title: "ragcache against the peers",
  method: [
    `Same process, same data (1 KB JSON retrieval results), same private redis-server ${redisServerVersion() ?? ""} on loopback, flushed before each contender; a fresh instance of each contender per workload and round. ${pinnedCpu === undefined ? "Not pinned (taskset missing or BENCH_PIN=0)." : `redis-server and the bench process are pinned to CPU ${pinnedCpu} (taskset), so Redis' work and the client's background work (publishes, echoes) share the requests' core.`} Load average at start: ${loadAtStart.join(" / ")}.`,
    `${ROUNDS} interleaved rounds. L1, L2 and miss + set: per round every contender of the workload is open at once and measured in ${SLICES} alternating slices of ${(2 * MEASURE_MS) / SLICES} ms after a warm-up slice; stampede and Zipf: every round visits all contenders one after another, starting one further along each time. Medians of the rounds; each ratio is taken within a round against the baseline measured in that same round, and the median of those ratios is shown.`,
    `L1: ${L1_KEYS / 1000}k entries, all in L1, read in one random order (the same for all) by one caller, by text or by a precomputed key;  L2: ${2 * L1_MAX} keys read cyclically, so every read misses the ${L1_MAX}-entry L1 and hits Redis (and back-fills L1); 1 caller compared with plain ioredis, ${INFLIGHT} in flight with auto-pipelined ioredis. Miss + set: a get that misses, then a write-through set, one caller, compared with plain ioredis GET + SET. Stampede: ${STAMPEDE.callers} concurrent get-or-load calls on one missing key, ${STAMPEDE.loaderMs} ms loader; Redis commands from INFO commandstats before and after. Zipf(${ZIPF.s}): ${ZIPF.requests / 1000}k requests over ${ZIPF.keys / 1000}k keys, ${ZIPF.inflight} in flight, ${L1_MAX}-entry L1, ${ZIPF.loaderMs} ms loader; L2 hits are Redis' keyspace_hits during the run, L1 hits the rest of the non-loads; CPU is the bench process' user + system time.`,
    "Each library is used with its defaults as its README shows them (bentocache serializes entries in its memory tier; ragcache and lru-cache keep references).",
  ],
  tables: [
    {
      workload: "l1",
      caption: "L1 hit (ops/s, higher is better)",
      columns: ["contender", "median ops/s", "ratio to raw lru-cache", "range over rounds"],
      rows: l1Rows,
    },
    {
      workload: "l2",
      caption: "L2 hit and miss + set through Redis (ops/s, higher is better)",
      columns: [
        "contender",
        "L2 hit, 1 caller",
        "ratio to plain ioredis",
        `L2 hit, ${INFLIGHT} in flight`,
        "ratio to auto-pipelined",
        "miss + set",
        "ratio to plain ioredis",
      ],
      rows: l2Rows,
    },
    {
      workload: "stampede",
      caption: `Stampede: ${STAMPEDE.callers} concurrent callers, one missing key, ${STAMPEDE.loaderMs} ms loader`,
      columns: [
        "contender",
        "loader runs, median",
        "wall ms, median",
        "wall / loader",
        "Redis commands, median",
        "callers served (worst round)",
      ],
      rows: stampedeRows,
    },
    {
      workload: "zipf",
      caption: `Zipf(${ZIPF.s}) stream, ${ZIPF.requests / 1000}k requests over ${ZIPF.keys / 1000}k keys, ${L1_MAX}-entry L1`,
      columns: [
        "contender",
        "wall ms, median",
        "ratio to hand-written",
        "CPU ms",
        "CPU ratio",
        "L1 hits",
        "L2 hits",
        "loader runs",
      ],
      rows: zipfRows,
    },
  ].filter(({ workload }) => WORKLOADS.has(workload) || (workload === "l2" && WORKLOADS.has("write"))),
  charts,
  goals,
  notes: [...problems].map(([name, reason]) => `not measured: ${name}: ${reason}`),
  packages: ["lru-cache", "ioredis", "bentocache", "cache-manager", "keyv", "@keyv/redis", "cacheable"],
  extraVersions: { "redis-server": redisServerVersion() ?? "unknown" },
  data: {
    config: { ROUNDS, MEASURE_MS, WORKLOADS: [...WORKLOADS], L1_KEYS, L1_MAX, INFLIGHT, ZIPF, STAMPEDE, pinnedCpu, loadAtStart },
    l1: Object.fromEntries(l1),
    l2: Object.fromEntries(l2),
    missSet: Object.fromEntries(writes),
    stampede: Object.fromEntries(stampedes),
    zipf: Object.fromEntries(zipfs),
    problems: Object.fromEntries(problems),
  },
});
console.log(`wrote bench/results/contenders.{json,md}${problems.size ? ` (${problems.size} not measured)` : ""}`);
for (const goal of goals) console.log(`${goal.met ? "met   " : "MISSED"} ${goal.goal}: ${goal.measured}`);
