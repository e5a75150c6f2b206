import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, createKey, jsonLogger, logLevelOf, type Logger } from "ragcache";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { chaos, manualClock, testEntry } from "ragcache/testing";
import { warming } from "ragcache/warming";

const root = mkdtempSync(join(tmpdir(), "ragcache-log-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function capture(options: Parameters<typeof jsonLogger>[0] = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = jsonLogger({ level: "debug", ...options, write: (line) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe("logs", () => {
  test("one JSON line per event with level, ISO time, kind and layer; below the level nothing", () => {
    const { lines, logger } = capture({ level: "warn" });
    logger.log("info", { kind: "recovered", layer: "redis", message: "recovered" });
    logger.log("error", { kind: "layer-error", layer: "redis", message: "get failed", cause: "ECONNREFUSED" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "error",
      kind: "layer-error",
      layer: "redis",
      message: "get failed",
      cause: "ECONNREFUSED",
    });
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time as string);
  });

  test("rate-limited per kind and layer: the rest of the minute is counted and reported on the next line", () => {
    const clock = manualClock();
    const { lines, logger } = capture({ perKindPerMinute: 3, now: clock.now });
    for (let i = 0; i < 10; i++) logger.log("error", { kind: "layer-error", layer: "redis", message: `failure ${i}` });
    logger.log("error", { kind: "layer-error", layer: "chroma", message: "another layer" });
    expect(lines.map((line) => line.message)).toEqual(["failure 0", "failure 1", "failure 2", "another layer"]);
    clock.advance("1m");
    logger.log("error", { kind: "layer-error", layer: "redis", message: "later" });
    expect(lines.at(-1)).toMatchObject({ message: "later", suppressed: 7 });
  });

  test("RAG_LOG_LEVEL picks the level; an unknown value means info", () => {
    expect(logLevelOf("WARN")).toBe("warn");
    expect(logLevelOf("silent")).toBe("silent");
    expect(logLevelOf("loud")).toBe("info");
    const previous = process.env.RAG_LOG_LEVEL;
    process.env.RAG_LOG_LEVEL = "error";
    try {
      const lines: string[] = [];
      const logger = jsonLogger({ write: (line) => void lines.push(line) });
      logger.log("warn", { kind: "degraded", message: "not shown" });
      logger.log("error", { kind: "layer-error", message: "shown" });
      expect(lines).toHaveLength(1);
    } finally {
      if (previous === undefined) delete process.env.RAG_LOG_LEVEL;
      else process.env.RAG_LOG_LEVEL = previous;
    }
  });

  test("the chain logs layer errors with their cause, degraded and recovered, a low hit rate, warming start and end", async () => {
    const { lines, logger } = capture();
    const broken = chaos(memory({ name: "flaky" }));
    const dir = join(root, "files");
    const m = metrics({ minRequests: 5, hitRateThreshold: 0.9 });
    const w = warming({ schedule: false, onLowHitRate: false, warmList: [{ query: "q" }], loaders: { default: () => "v" } });
    // A layer that answers every key with an entry stored for another question.
    const forged = { ...memory({ name: "forged" }), get: () => testEntry(createKey("another question"), "wrong") };
    const cache = createCache({ layers: [broken, forged, file({ dir })], plugins: [m, w], log: logger, sampleEvery: 1 });
    await cache.ready;
    broken.alwaysThrow(new Error("connection refused"));
    await cache.get("a");
    broken.heal();
    await cache.set("first", 1);
    const [folder] = readdirSync(dir);
    rmSync(join(dir, folder!), { recursive: true });
    writeFileSync(join(dir, folder!), "in the way");
    await cache.set("second", 2);
    rmSync(join(dir, folder!));
    await cache.set("third", 3);
    for (let i = 0; i < 10; i++) await cache.get(`miss ${i}`);
    m.check();
    await w.run({ trigger: "test" });
    await cache.close();

    const kinds = lines.map((line) => `${line.level} ${line.kind} ${line.layer ?? ""}`.trim());
    expect(kinds).toContain("error layer-error flaky");
    expect(kinds).toContain("warn degraded file");
    expect(kinds).toContain("info recovered file");
    expect(kinds).toContain("warn low-hit-rate");
    expect(kinds).toContain("info warming-started warming");
    expect(kinds).toContain("info warming-finished warming");
    expect(kinds).toContain("warn integrity-miss forged");
    const fileError = lines.find((line) => line.kind === "layer-error" && line.layer === "file");
    expect(fileError?.cause).toBeString();
  });
});
