import { parseArgs } from "node:util";
import { loadConfig, type PluginRef, type RagConfig } from "../../src/index.ts";
import { curve, parsePairs, pickThreshold, type LabelledPair, type ScoredPair } from "./calibration.ts";
import type { ChromaLayer } from "./options.ts";

const USAGE = `usage: bun run calibrate <pairs.jsonl> [--config ragcache.json] [--namespace N] [--target-false-hits 0.005] [--feedback] [--write]

Runs labelled pairs through the chroma layer's embedder and guard as configured (--config, else
$RAG_CONFIG, else the defaults; RAG_* env applies) and prints recall and false hits per threshold
and the threshold that meets the target. Each line of the file is
  {"a": "stored question", "b": "asked question", "label": "paraphrase" | "near-miss", "namespace"?: "…"}
or {"query": "…", "matchedText": "…", "verdict": "right" | "wrong", "namespace"?: "…"}.
Bad lines are reported by number and skipped. --feedback adds the verdicts recorded with
layer.feedback() (needs the Chroma server); --write stores the threshold in the config file
(as thresholds[namespace] with --namespace, else threshold).`;

function fail(message: string): never {
  console.error(`calibrate: ${message}`);
  process.exit(1);
}

/** The config file (or none) and the chroma layer it builds. */
async function configuredLayer(path: string | undefined): Promise<{ config?: RagConfig; index: number; layer: ChromaLayer }> {
  const config: RagConfig | undefined = path
    ? await Bun.file(path)
        .json()
        .catch((error: Error) => fail(`cannot read config ${path}: ${error.message}`))
    : undefined;
  const refs = (config?.layers ?? []) as PluginRef[];
  const index = refs.findIndex((ref) => ref.use === "chroma");
  if (config && index < 0) fail(`${path} has no chroma layer`);
  const source = config ? { layers: [refs[index]!] } : { layers: [{ use: "chroma" }] };
  const { layers } = await loadConfig(source).catch((error: Error) => fail(error.message));
  return { config, index, layer: layers[0] as ChromaLayer };
}

/** `[#####-----] 12/40` on a terminal, a line per tenth elsewhere. */
function progress(total: number): (done: number) => void {
  let lastTenth = -1;
  return (done) => {
    const filled = Math.round((done / total) * 30);
    const line = `embedding [${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${done}/${total}`;
    if (process.stderr.isTTY) return void process.stderr.write(`\r${line}${done === total ? "\n" : ""}`);
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth) process.stderr.write(`${line}\n`);
    lastTenth = tenth;
  };
}

async function main(): Promise<void> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        allowPositionals: true,
        options: {
          config: { type: "string" },
          namespace: { type: "string" },
          "target-false-hits": { type: "string" },
          feedback: { type: "boolean" },
          write: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      });
    } catch (error) {
      return fail(`${(error as Error).message}\n${USAGE}`);
    }
  })();
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1) fail(`one pairs file, please\n${USAGE}`);
  const target = Number(values["target-false-hits"] ?? 0.005);
  if (!(target >= 0 && target <= 1)) fail(`--target-false-hits must be a number from 0 to 1, got ${values["target-false-hits"]}`);
  const configPath = values.config ?? process.env.RAG_CONFIG;
  if (values.write && !configPath) fail("--write needs --config (or RAG_CONFIG): the file to write the threshold into");

  const text = await Bun.file(positionals[0]!)
    .text()
    .catch((error: Error) => fail(`cannot read ${positionals[0]}: ${error.message}`));
  const { pairs, problems } = parsePairs(text);
  for (const problem of problems) console.error(`skipped ${problem}`);
  const { config, index, layer } = await configuredLayer(configPath);
  const recorded: LabelledPair[] = values.feedback
    ? (await layer.recordedFeedback().catch((error: Error) => fail(`cannot read recorded feedback: ${error.message}`))).map(
        (verdict) => ({
          query: verdict.query,
          candidate: verdict.matchedText,
          same: verdict.verdict === "right",
          namespace: verdict.namespace,
        }),
      )
    : [];
  const chosen = [...pairs, ...recorded].filter(
    (pair) => !values.namespace || pair.namespace === undefined || pair.namespace === values.namespace,
  );
  if (!chosen.some((pair) => pair.same) || !chosen.some((pair) => !pair.same))
    fail("need at least one pair of each kind (paraphrase / right and near-miss / wrong)");

  const report = progress(chosen.length);
  const scored: ScoredPair[] = [];
  for (const pair of chosen) {
    scored.push({ ...pair, ...(await layer.score(pair.query, pair.candidate)) });
    report(scored.length);
  }
  const points = curve(scored);
  const percent = (share: number) => `${(share * 100).toFixed(1)} %`.padStart(8);
  console.log(
    `${scored.length} pairs (${scored.filter((p) => p.same).length} same, ${scored.filter((p) => !p.same).length} different), embedder ${layer.embedder.id}`,
  );
  console.log("threshold   recall  false hits");
  for (const point of points)
    console.log(`${point.threshold.toFixed(2).padStart(9)} ${percent(point.recall)} ${percent(point.falseHits)}`);
  const best = pickThreshold(points, target);
  if (!best) fail(`no threshold keeps false hits at or under ${percent(target).trim()}: add vocabulary or check the labels`);
  console.log(
    `threshold ${best.threshold}: recall ${percent(best.recall).trim()}, false hits ${percent(best.falseHits).trim()} (target ${percent(target).trim()})`,
  );
  if (values.write && config && configPath) {
    const refs = [...(config.layers as PluginRef[])];
    const ref = { ...refs[index]! };
    if (values.namespace) ref.thresholds = { ...(ref.thresholds as object), [values.namespace]: best.threshold };
    else ref.threshold = best.threshold;
    refs[index] = ref;
    await Bun.write(configPath, `${JSON.stringify({ ...config, layers: refs }, null, 2)}\n`);
    console.log(`wrote it into ${configPath}`);
  }
}

await main();
