import { existsSync } from "node:fs";
import { join } from "node:path";
import * as source from "../src/index.ts";
import * as sourceMemory from "../plugins/memory/index.ts";
import {
  formatOps,
  formatRatio,
  interleavedVariants,
  judgeOnRounds,
  median,
  ratioInRounds,
  ratiosInRounds,
  seeded,
} from "./lib/measure.ts";
import { BENCH_DIR, writeTopic } from "./lib/report.ts";
import { keyOf, retrievalResult } from "./lib/workloads.ts";

/**
 * The built package against the source on Bun: an L1 hit by text through `dist/` (what an install
 * runs) and through `src/` (what this repo runs), 10 000
 * keys read in a random order, variants interleaved per round; medians.
 */

const ROUNDS = 15;
const ROUND_MS = 200;
const KEYS = 10_000;
const DIST = join(BENCH_DIR, "..", "dist");

if (!existsSync(join(DIST, "index.js"))) {
  const build = Bun.spawnSync(["bun", "run", "build"], { cwd: join(BENCH_DIR, ".."), stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("bun run build failed");
}
const built = (await import(join(DIST, "index.js"))) as typeof source;
const builtMemory = (await import(join(DIST, "memory.js"))) as typeof sourceMemory;

const random = seeded(7);
const order = Array.from({ length: KEYS * 4 }, () => keyOf(Math.floor(random() * KEYS)));

function chain(core: typeof source, plugin: typeof sourceMemory) {
  const cache = core.createCache({ layers: [plugin.memory({ max: KEYS * 2 })], defaultTtl: "1h" });
  return { cache, op: (i: number) => cache.get(order[i % order.length]!), close: () => cache.close() };
}

const variants = { "source (src/)": chain(source, sourceMemory), "built (dist/)": chain(built, builtMemory) };
// Filled key by key in turn: a chain filled first gets its keys and entries laid out before the other's
// and reads 10-20 % faster, whichever code it runs (built/source measured 0.84-1.04x filled source
// first, 0.79-1.34x filled built first).
for (let i = 0; i < KEYS; i++) for (const { cache } of Object.values(variants)) await cache.set(keyOf(i), retrievalResult(i));
for (const { cache } of Object.values(variants))
  if (cache.get(order[0]!) === undefined) throw new Error("the chain missed a key it had just stored");
const names = Object.keys(variants);
const { samples, medians } = await interleavedVariants(variants, ROUNDS, ROUND_MS);

const ratios = ratiosInRounds(samples, "built (dist/)", "source (src/)");
const ratio = median(ratios);

writeTopic("dist", {
  title: "The built package on Bun (L1 hit)",
  method: [
    `\`cache.get\` by text of ${KEYS} keys (1 KB values) in a seeded random order, memory layer only, ${ROUNDS} rounds of ${ROUND_MS} ms per variant, interleaved; medians, and the ratio of each round, then their median. Both chains are filled key by key in turn, so neither gets its data laid out first.`,
    "`dist/` is `bun run build` (what an install runs); `src/` is the TypeScript this repo runs.",
  ],
  tables: [
    {
      columns: ["variant", "median ops/s", "× source"],
      rows: names.map((name) => [name, formatOps(medians[name]!), formatRatio(ratioInRounds(samples, name, "source (src/)"))]),
    },
  ],
  goals: [
    {
      goal: "the built package is not slower on an L1 hit (≥ 0.95× the source)",
      ...judgeOnRounds(ratios, (ratio) => ratio >= 0.95),
    },
  ],
  notes: ["Numbers are indicative: the machine has 2 cores shared with other work."],
  packages: [],
  data: { rounds: ROUNDS, roundMs: ROUND_MS, keys: KEYS, samples, medians, ratio },
});
console.log(
  `L1 hit by text: ${names.map((name) => `${name} ${formatOps(medians[name]!)}`).join(", ")}; built/source ${formatRatio(ratio)}`,
);
