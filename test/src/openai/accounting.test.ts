// Pins src/openai/accounting.ts: the proxy's per-model counters and their Prometheus text, whatever model name a caller sends.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { Accounting } from "../../../src/openai/accounting.ts";
import { parsePrometheus } from "../../plugins/metrics/prometheus-parse.ts";

const PROMTOOL = "/usr/bin/promtool";

async function promtoolCheck(text: string): Promise<string> {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: run \`sh scripts/setup.sh test\``);
  const child = Bun.spawn([PROMTOOL, "check", "metrics"], { stdin: new Blob([text]), stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return `${out}${err}`.trim();
}

describe("gateway accounting", () => {
  test("a model name with control characters (a tab) still gives Prometheus text that promtool accepts, the name kept", async () => {
    const accounting = new Accounting({});
    accounting.count("gpt\tx", "hit", { prompt_tokens: 3, completion_tokens: 2 });
    accounting.count("caf\u00e9\u0001", "bypass");
    const text = accounting.prometheus();
    expect(await promtoolCheck(text)).toBe("");
    const models = parsePrometheus(text).samples.map((sample) => sample.labels.model);
    expect(new Set(models)).toEqual(new Set(["gpt\tx", "caf\u00e9\u0001"]));
  });

  test("a model named like an Object property (constructor, toString) has no price: its saved cost stays 0, never NaN", () => {
    const accounting = new Accounting({ "gpt-4o-mini": { input: 0.15, output: 0.6 } });
    for (const model of ["constructor", "toString", "__proto__", "gpt-4o-mini"])
      accounting.count(model, "hit", { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 });
    const stats = accounting.snapshot();
    expect(Object.keys(stats)).toEqual(["constructor", "toString", "__proto__", "gpt-4o-mini"]);
    expect(Object.values(stats).map((model) => model.savedCost)).toEqual([0, 0, 0, 0.75]);
  });
});
