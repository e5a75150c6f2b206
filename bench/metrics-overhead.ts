import { LRUCache } from "lru-cache";
import { createCache } from "../src/index.ts";
import { memory } from "../plugins/memory/index.ts";
import { metrics } from "../plugins/metrics/index.ts";
import { warming } from "../plugins/warming/index.ts";
import {
  formatOps,
  formatRatio,
  interleavedVariants,
  judgeOnRounds,
  median,
  ratioInRounds,
  ratiosInRounds,
} from "./lib/measure.ts";
import { writeTopic } from "./lib/report.ts";

/**
 * What observing the chain costs on its cheapest path, an L1 hit: the same 1 KB value read through
 * the chain bare, with the metrics plugin (counters from the chain, latency from 1 in 64 sampled
 * lookups), with metrics and warming, and — to show why sampling — with a listener on every `hit`.
 * Variants alternate within each round so machine noise hits them alike; medians over the rounds.
 */

const ROUNDS = 15;
const ROUND_MS = 200;
const QUERY = "what is retrieval-augmented generation?";
const VALUE = { docs: Array.from({ length: 8 }, (_, i) => ({ id: i, text: "x".repeat(100), score: 1 - i / 10 })) };

async function chainVariant(plugins: Parameters<typeof createCache>[0]["plugins"], everyHit = false) {
  const cache = createCache({ layers: [memory({ max: 10_000 })], plugins });
  await cache.ready;
  await cache.set(QUERY, VALUE, { ttl: "1h" });
  if (everyHit) cache.on("hit", () => {});
  return { op: () => cache.get(QUERY), close: () => cache.close() };
}

const lru = new LRUCache<string, object>({ max: 10_000 });
lru.set(QUERY, VALUE);
const variants = {
  "lru-cache get (raw baseline)": { op: () => lru.get(QUERY), close: async () => {} },
  "chain, no plugins": await chainVariant([]),
  "chain + metrics": await chainVariant([metrics()]),
  "chain + metrics + warming": await chainVariant([metrics(), warming({ schedule: false, loaders: { default: () => null } })]),
  "chain + a listener on every hit": await chainVariant([], true),
};
const names = Object.keys(variants);
const { samples, medians } = await interleavedVariants(variants, ROUNDS, ROUND_MS);

const overheads = ratiosInRounds(samples, "chain, no plugins", "chain + metrics").map((ratio) => ratio - 1);
const overhead = median(overheads);
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

writeTopic("metrics-overhead", {
  title: "Metrics overhead on an L1 hit",
  method: [
    `\`cache.get\` of one 1 KB JSON value held in the memory layer, ${ROUNDS} rounds of ${ROUND_MS} ms per variant, variants interleaved; medians.`,
    "The metrics plugin reads hit/miss counts from the chain's counters and times 1 in 64 lookups (the chain's `sampleEvery`) into log-scale histograms;",
    "the overhead is the median over rounds of (bare chain ops/s ÷ chain with metrics ops/s − 1).",
  ],
  tables: [
    {
      columns: ["variant", "median ops/s", "× lru-cache", "× bare chain"],
      rows: names.map((name) => [
        name,
        formatOps(medians[name]!),
        formatRatio(ratioInRounds(samples, name, "lru-cache get (raw baseline)")),
        formatRatio(ratioInRounds(samples, name, "chain, no plugins")),
      ]),
    },
  ],
  goals: [
    {
      goal: "the metrics plugin costs < 15 % on an L1 hit (chain with vs without it, same run)",
      ...judgeOnRounds(overheads, (overhead) => overhead < 0.15, percent),
    },
  ],
  notes: [
    `A listener on every \`hit\` (timing every lookup: two clock reads and an event) costs ${percent(ratioInRounds(samples, "chain, no plugins", "chain + a listener on every hit") - 1)}: why metrics and warming sample.`,
    "Numbers are indicative: the machine has 2 cores shared with other work.",
  ],
  packages: ["lru-cache"],
  data: { rounds: ROUNDS, roundMs: ROUND_MS, samples, medians, overhead },
});
console.log(
  `metrics overhead on an L1 hit: ${percent(overhead)}; ${names.map((name) => `${name}: ${formatOps(medians[name]!)}`).join("; ")}`,
);
