// Pins plugins/chroma/calibration.ts and the calibrate CLI (calibrate.ts): pairs in, curve and threshold out.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { curve, parsePairs, pickThreshold, type ScoredPair } from "../../../plugins/chroma/calibration.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const LINES = [
  '{"a": "how do I reset my password", "b": "how can I reset my password", "label": "paraphrase"}',
  '{"a": "top 5 hotels in rome", "b": "top 10 hotels in rome", "label": "near-miss", "namespace": "answer"}',
  '{"query": "what is the refund window", "matchedText": "what\'s the refund window", "verdict": "right"}',
  '{"query": "how to sign in", "matchedText": "how to sign out", "verdict": "wrong"}',
];

describe("calibration", () => {
  test("reads both line forms and reports bad lines by number instead of failing", () => {
    const { pairs, problems } = parsePairs(
      [LINES[0], "not json", '{"a": "x", "b": "y", "label": "same"}', "", LINES[1], '{"query": "q"}', LINES[2]].join("\n"),
    );
    expect(pairs.map((pair) => [pair.line, pair.same, pair.namespace])).toEqual([
      [1, true, undefined],
      [5, false, "answer"],
      [7, true, undefined],
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^line 2: not JSON/),
      'line 3: label must be "paraphrase" or "near-miss"',
      'line 6: wants non-empty "a" and "b" (with "label") or "query" and "matchedText" (with "verdict")',
    ]);
  });

  test("the curve counts a pair as served only above the threshold and past the guard; the pick meets the target", () => {
    const pair = (same: boolean, similarity: number, verdict: true | string = true): ScoredPair => ({
      query: "q",
      candidate: "c",
      same,
      similarity,
      verdict,
    });
    const points = curve([pair(true, 0.95), pair(true, 0.62), pair(false, 0.97, "number differs: 5 vs 10"), pair(false, 0.72)]);
    expect(points.find((point) => point.threshold === 0.6)).toEqual({ threshold: 0.6, recall: 1, falseHits: 0.5 });
    expect(points.find((point) => point.threshold === 0.75)).toEqual({ threshold: 0.75, recall: 0.5, falseHits: 0 });
    expect(pickThreshold(points, 0)).toEqual({ threshold: 0.95, recall: 0.5, falseHits: 0 });
    expect(pickThreshold(points, 0.5)?.threshold).toBe(0.6);
  });

  test("bun run calibrate prints the curve and writes the threshold of a namespace into the config", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ragcache-calibrate-"));
    dirs.push(dir);
    const [pairsFile, configFile] = [join(dir, "pairs.jsonl"), join(dir, "ragcache.json")];
    await Bun.write(pairsFile, [...LINES, "{broken"].join("\n"));
    await Bun.write(configFile, JSON.stringify({ layers: [{ use: "memory" }, { use: "chroma", collection: "mine" }] }));
    const run = Bun.spawnSync(
      [process.execPath, "run", "calibrate", pairsFile, "--config", configFile, "--namespace", "answer", "--write"],
      { cwd: join(import.meta.dir, "../../.."), env: { ...process.env, RAG_CONFIG: "" } },
    );
    const [out, err] = [run.stdout.toString(), run.stderr.toString()];
    expect(run.exitCode).toBe(0);
    expect(err).toContain("skipped line 5: not JSON");
    expect(out).toContain("4 pairs (2 same, 2 different), embedder local-v1-512");
    expect(out).toMatch(/threshold\s+recall\s+false hits/);
    const chosen = Number(/^threshold ([\d.]+): recall/m.exec(out)?.[1]);
    expect(chosen).toBeGreaterThan(0);
    expect(await Bun.file(configFile).json()).toEqual({
      layers: [{ use: "memory" }, { use: "chroma", collection: "mine", thresholds: { answer: chosen } }],
    });
  });
});
