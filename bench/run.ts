import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeMachine, machine, redisServerVersion, versions } from "./lib/machine.ts";
import { ensureRedisServer } from "./lib/redis-server.ts";
import { BENCH_DIR, RESULTS_DIR, markdownTable, type Goal } from "./lib/report.ts";

/**
 * `bun run bench`: every topic file bench/<topic>.ts in its own `bun` process, one after another
 * (they would disturb each other's timings otherwise), then bench/RESULTS.md and bench/results.json
 * assembled from what this run wrote to bench/results/. A section left from an earlier run is not
 * included: every figure in RESULTS.md comes from this run.
 */

const HELPERS = new Set(["run.ts", "svg.ts"]);
/** Profiles that explain the figures (CPU profiles, cache simulations), written by hand with their date and load. */
const PROFILES = join(BENCH_DIR, "profiles.md");
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const only = process.argv.slice(2);

interface TopicRun {
  topic: string;
  exitCode: number | null;
  seconds: number;
  fresh: boolean;
}

const topics = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith(".ts") && !HELPERS.has(file) && !file.endsWith(".d.ts"))
  .map((file) => file.slice(0, -3))
  .filter((topic) => !only.length || only.includes(topic))
  .sort();

ensureRedisServer();
const started = Date.now();
const runs: TopicRun[] = [];
for (const topic of topics) {
  console.error(`\n== bench/${topic}.ts`);
  const begin = Date.now();
  // Its own process group, so a topic that overruns is killed with the servers it started.
  const child = spawn(process.execPath, ["run", join(BENCH_DIR, `${topic}.ts`)], {
    stdio: "inherit",
    cwd: join(BENCH_DIR, ".."),
    detached: true,
  });
  const timer = setTimeout(() => {
    console.error(`== bench/${topic}.ts: over ${TIMEOUT_S} s, killed`);
    process.kill(-child.pid!, "SIGKILL");
  }, TIMEOUT_S * 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  clearTimeout(timer);
  const written = join(RESULTS_DIR, `${topic}.md`);
  const fresh = exitCode === 0 && existsSync(written) && statSync(written).mtimeMs >= begin;
  runs.push({ topic, exitCode, seconds: Math.round((Date.now() - begin) / 100) / 10, fresh });
  console.error(`== bench/${topic}.ts: exit ${exitCode} in ${runs.at(-1)!.seconds} s${fresh ? "" : " (no results)"}`);
}

interface TopicJson {
  title?: string;
  goals?: Goal[];
}
const readJson = (topic: string): TopicJson | undefined => {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${topic}.json`), "utf8"));
  } catch {
    return undefined;
  }
};

const host = machine();
const installed = {
  ...versions(["hono", "ioredis", "lru-cache", "chromadb", "bentocache", "cache-manager", "cacheable", "keyv"]),
  "redis-server": redisServerVersion() ?? "not installed",
};
const fresh = runs.filter((run) => run.fresh);
const allGoals = fresh.flatMap((run) => (readJson(run.topic)?.goals ?? []).map((goal) => ({ topic: run.topic, ...goal })));
const goals = allGoals.map((goal) => [goal.topic, goal.met ? "met" : "**MISSED**", goal.goal, goal.measured]);
const missed = allGoals.filter((goal) => !goal.met);
const failed = runs.filter((run) => !run.fresh);
const closingNote = [
  "## Closing note",
  "",
  missed.length ? "Goals missed in this run, and why:" : "Every goal of the topics that ran was met in this run.",
  "",
  ...missed.map(
    (goal) =>
      `- ${goal.topic}: ${goal.goal} (measured ${goal.measured}). ${goal.whyMissed ?? "No known cause was recorded for this goal."}`,
  ),
  ...failed.map(
    (run) =>
      `- bench/${run.topic}.ts did not produce results in this run (exit code ${run.exitCode}); its figures are absent above.`,
  ),
];

const markdown = [
  "# ragcache benchmark results",
  "",
  `Produced by \`bun run bench\` on ${host.date} in ${Math.round((Date.now() - started) / 1000)} s. Every figure below comes from this one run.`,
  "",
  `Machine: ${describeMachine(host)}.`,
  `Versions: ${Object.entries(installed)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ")}.`,
  "The machine is shared (2 cores, other work may run beside the benchmarks): absolute numbers are indicative; ratios are taken within one run, side by side.",
  "",
  markdownTable({
    caption: "Topics run",
    columns: ["topic", "exit code", "seconds", "in this report"],
    rows: runs.map((run) => [
      `bench/${run.topic}.ts`,
      String(run.exitCode),
      run.seconds,
      run.fresh ? "yes" : "no: failed or wrote nothing",
    ]),
  }),
  "",
  markdownTable({ caption: "Goals", columns: ["topic", "verdict", "goal", "measured"], rows: goals }),
  "",
  ...fresh.map((run) => readFileSync(join(RESULTS_DIR, `${run.topic}.md`), "utf8").trim() + "\n"),
  ...(existsSync(PROFILES) ? [readFileSync(PROFILES, "utf8").trim(), ""] : []),
  ...closingNote,
  "",
].join("\n");

writeFileSync(join(BENCH_DIR, "RESULTS.md"), markdown);
writeFileSync(
  join(BENCH_DIR, "results.json"),
  JSON.stringify(
    {
      date: host.date,
      machine: host,
      versions: installed,
      runs,
      topics: Object.fromEntries(fresh.map((run) => [run.topic, readJson(run.topic)])),
    },
    null,
    2,
  ),
);
console.error(`\nwrote bench/RESULTS.md and bench/results.json (${fresh.length}/${runs.length} topics)`);
if (fresh.length < runs.length) process.exitCode = 1;
