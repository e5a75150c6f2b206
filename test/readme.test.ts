// Pins README.md: every TypeScript snippet runs as written (the reader's own functions are stand-ins).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chroma } from "../plugins/chroma/index.ts";
import { createCache } from "../src/index.ts";
import { startChroma, type ChromaServer } from "./support/chroma-server.ts";
import { startRedis, type RedisServer } from "./support/redis-server.ts";

const ROOT = join(import.meta.dir, "..");
const WORK = join(ROOT, ".cache", "readme-snippets");
const STAND_INS = join(import.meta.dir, "support", "readme-stand-ins.ts");

/** Each ```ts block of the README with the line it starts on. */
function snippets(): { line: number; code: string }[] {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
  const found: { line: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const end = lines.indexOf("```", i + 1);
    found.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return found;
}

let redisServer: RedisServer;
let chromaServer: ChromaServer;
/**
 * The semantic snippet's collection, created and indexed before the snippet runs, as on a Chroma
 * already in use, so the snippet keeps the default deadlines it teaches: creating a collection and
 * writing its first record took about 220 ms at load 2-3 (25-60 ms once it exists) and outlasted the
 * layer's 750 ms default once at load 6.5.
 */
async function indexSnippetCollection(url: string): Promise<void> {
  const layer = chroma({ url, collection: "ragcache", timeout: "30s" });
  const cache = createCache({ layers: [layer], layerTimeout: "60s", log: false });
  await cache.set("readme warm-up", "warm-up", { namespace: "readme-warm-up" });
  await layer.flush?.();
  await layer.explain("readme warm-up", { namespace: "readme-warm-up" });
  await cache.close();
}

beforeAll(async () => {
  [redisServer, chromaServer] = await Promise.all([startRedis(), startChroma()]);
  await indexSnippetCollection(chromaServer.url);
}, 60_000);
afterAll(async () => {
  await Promise.all([redisServer?.stop(), chromaServer?.stop()]);
  rmSync(WORK, { recursive: true, force: true });
});

/** Runs one snippet in its own folder (inside the package, so `ragcache/*` resolves) and process. */
async function run(line: number, code: string): Promise<{ code: number; output: string }> {
  const dir = join(WORK, `line-${line}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "warm_queries.json"), JSON.stringify([{ query: "what is rag?", namespace: "retrieval" }]));
  const source = `import ${JSON.stringify(STAND_INS)};\n${code}\n`;
  let command: string[];
  if (code.includes('from "bun:test"')) {
    writeFileSync(join(dir, "snippet.test.ts"), source);
    command = ["bun", "test", "./snippet.test.ts"];
  } else {
    // Snippets leave connections open, as an application would: exit once the snippet has run.
    writeFileSync(join(dir, "snippet.ts"), source);
    writeFileSync(join(dir, "run.ts"), 'await import("./snippet.ts");\nprocess.exit(0);\n');
    command = ["bun", "run.ts"];
  }
  const child = Bun.spawn(command, {
    cwd: dir,
    env: { ...process.env, REDIS_URL: redisServer.url, RAG_CHROMA_URL: chromaServer.url, RAG_LOG_LEVEL: "error" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, exit] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code: exit, output: `${out}${err}` };
}

describe("README", () => {
  const all = snippets();
  test("has TypeScript snippets to run", () => expect(all.length).toBeGreaterThanOrEqual(7));
  for (const { line, code } of all) {
    test(`the snippet at line ${line} runs as written`, async () => {
      const result = await run(line, code);
      if (result.code !== 0) throw new Error(`README.md:${line} exited ${result.code}:\n${result.output}`);
      expect(result.output).not.toContain('"level":"error"');
    }, 30_000);
  }
});
