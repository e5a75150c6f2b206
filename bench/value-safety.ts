import { LRUCache } from "lru-cache";
import { createCache } from "../src/index.ts";
import { memory } from "../plugins/memory/index.ts";
import { formatOps, formatRatio, interleavedOps, judgeOnRounds, ratioInRounds, ratiosInRounds, seeded } from "./lib/measure.ts";
import { writeTopic } from "./lib/report.ts";
import { jsonLayer } from "./lib/json-layer.ts";
import { retrievalResult } from "./lib/workloads.ts";

/**
 * What keeping cached values safe from callers' mutations costs, and where: frozen values (the
 * default: a frozen JSON copy at set and on an L2 hit, nothing on an L1 hit) against the opt-out
 * (`freezeValues: false`, the caller's object shared by reference) and against copying on every
 * read. L1: 10 000 keys read in random order by precomputed key. L2: an in-process layer that keeps
 * JSON text and decodes per read, as Redis and files do, behind a one-entry L1, so every read
 * decodes, freezes (or not) and back-fills. Variants interleave within each round; medians.
 */

const ROUNDS = 15;
const ROUND_MS = 100;
const KEYS = 10_000;

/** The retrieval result with a tags array per document: each array costs most of a freeze. */
function taggedResult(i: number): object {
  const base = retrievalResult(i) as { query: string; docs: object[] };
  return { ...base, docs: base.docs.map((doc, d) => ({ ...doc, tags: [`topic-${d}`, "kb"] })) };
}

const order = (() => {
  const random = seeded(7);
  return Uint32Array.from({ length: 1 << 16 }, () => Math.floor(random() * KEYS));
})();

async function l1Variants() {
  const frozen = createCache({ layers: [memory({ max: KEYS })] });
  const shared = createCache({ layers: [memory({ max: KEYS })], freezeValues: false });
  const lru = new LRUCache<string, object>({ max: KEYS });
  const texts: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    await frozen.set(`q${i}`, retrievalResult(i));
    await shared.set(`q${i}`, retrievalResult(i));
    lru.set(`q${i}`, retrievalResult(i));
    texts.push(JSON.stringify(retrievalResult(i)));
  }
  const frozenKeys = Array.from({ length: KEYS }, (_, i) => frozen.key(`q${i}`));
  const sharedKeys = Array.from({ length: KEYS }, (_, i) => shared.key(`q${i}`));
  const lruKeys = Array.from({ length: KEYS }, (_, i) => `q${i}`);
  const at = (n: number) => order[n & 0xffff]!;
  return {
    "lru-cache get (raw baseline)": (n: number) => lru.get(lruKeys[at(n)]!),
    "chain get, frozen values (default)": (n: number) => frozen.get(frozenKeys[at(n)]!),
    "chain get, freezeValues: false": (n: number) => shared.get(sharedKeys[at(n)]!),
    "chain get + structuredClone per hit": (n: number) => structuredClone(shared.get(sharedKeys[at(n)]!)),
    "chain get + JSON.parse of the stored JSON per hit": (n: number) => (
      shared.get(sharedKeys[at(n)]!), JSON.parse(texts[at(n)]!)
    ),
  };
}

async function writeAndL2Variants(shape: (i: number) => object, label: string) {
  const frozen = createCache({ layers: [memory({ max: KEYS })], maxValueBytes: 1 << 20 });
  const shared = createCache({ layers: [memory({ max: KEYS })], freezeValues: false });
  const l2Frozen = createCache({ layers: [memory({ max: 1 }), jsonLayer()] });
  const l2Shared = createCache({ layers: [memory({ max: 1 }), jsonLayer()], freezeValues: false });
  const values = Array.from({ length: 256 }, (_, i) => shape(i));
  for (let i = 0; i < 256; i++) {
    await l2Frozen.set(`q${i}`, values[i]);
    await l2Shared.set(`q${i}`, values[i]);
  }
  return {
    [`set ${label}, frozen (default)`]: (n: number) => frozen.set(`q${n & 255}`, values[n & 255]),
    [`set ${label}, freezeValues: false`]: (n: number) => shared.set(`q${n & 255}`, values[n & 255]),
    [`L2 hit + back-fill ${label}, frozen (default)`]: (n: number) => l2Frozen.get(`q${n & 255}`),
    [`L2 hit + back-fill ${label}, freezeValues: false`]: (n: number) => l2Shared.get(`q${n & 255}`),
  };
}

/** What a frozen value costs the code that reads it: every document's text and score, once. */
function readVariants() {
  const frozen = createCache({ layers: [memory()] });
  const shared = createCache({ layers: [memory()], freezeValues: false });
  void frozen.set("q", retrievalResult(1));
  void shared.set("q", retrievalResult(1));
  const read = (value: unknown) => {
    let total = 0;
    for (const doc of (value as { docs: { text: string; score: number }[] }).docs) total += doc.text.length + doc.score;
    return total;
  };
  return {
    "hit + read every document, frozen (default)": () => read(frozen.get("q")),
    "hit + read every document, freezeValues: false": () => read(shared.get("q")),
  };
}

const groups = {
  l1: await l1Variants(),
  write: {
    ...(await writeAndL2Variants(retrievalResult, "1 KB, 1 array")),
    ...(await writeAndL2Variants(taggedResult, "1.2 KB, 6 arrays")),
  },
  read: readVariants(),
};
const variants: Record<string, (n: number) => unknown> = { ...groups.l1, ...groups.write, ...groups.read };
const names = Object.keys(variants);
const { samples, medians } = await interleavedOps(variants, ROUNDS, ROUND_MS);
const ns = (ops: number) => `${(1e9 / ops).toFixed(0)} ns`;
const row = (name: string, against: string) => [
  name,
  formatOps(medians[name]!),
  ns(medians[name]!),
  formatRatio(ratioInRounds(samples, name, against)),
];
const unfrozenOf = (name: string) => name.replace("frozen (default)", "freezeValues: false");
const frozenL1 = ratiosInRounds(samples, "chain get, frozen values (default)", "chain get, freezeValues: false");

writeTopic("value-safety", {
  title: "Value safety: frozen values against sharing and copying",
  method: [
    `${ROUNDS} rounds of ${ROUND_MS} ms per variant, variants interleaved; medians, and ratios taken within each round, then their median. Values are bench/lib/workloads.ts retrieval results (5 documents);`,
    "the 6-array shape adds a two-tag array to each document. L1: 10 000 keys in random order by precomputed key.",
    "L2: a layer keeping JSON text behind a promise (Redis' and files' decode without the network), under a one-entry memory layer.",
  ],
  tables: [
    {
      columns: ["L1 hit", "median ops/s", "per op", "× lru-cache"],
      rows: Object.keys(groups.l1).map((name) => row(name, "lru-cache get (raw baseline)")),
    },
    {
      columns: ["write and L2 hit", "median ops/s", "per op", "× the same with freezeValues: false"],
      rows: Object.keys(groups.write).map((name) => row(name, unfrozenOf(name))),
    },
    {
      columns: ["reading a served value", "median ops/s", "per op", "× with freezeValues: false"],
      rows: Object.keys(groups.read).map((name) => row(name, unfrozenOf(name))),
    },
  ],
  goals: [
    {
      goal: "an L1 hit with frozen values stays ≥ 0.8× the opt-out (freezing costs nothing on a hit)",
      ...judgeOnRounds(frozenL1, (ratio) => ratio >= 0.8),
    },
  ],
  notes: [
    "Copying on every read (structuredClone or JSON.parse) is what keeps values safe without freezing; it multiplies the cost of an L1 hit, which is why frozen values are the default.",
    "Freezing is paid at set and on each L2 hit (the decoded value is frozen before it is served and back-filled); on Bun a frozen array also reads slower (JavaScriptCore stores it in its slow mode), shown in the last table.",
    "Numbers are indicative: the machine has 2 cores shared with other work.",
  ],
  packages: ["lru-cache"],
  data: { rounds: ROUNDS, roundMs: ROUND_MS, samples, medians },
});
console.log(names.map((name) => `${name}: ${formatOps(medians[name]!)} (${ns(medians[name]!)})`).join("\n"));
