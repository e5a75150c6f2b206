import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const CLI = resolve(import.meta.dir, "../../../plugins/warming/cli.ts");
let dir: string;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ragcache-warm-cli-"));
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const { query } = (await request.json()) as { query: string };
      return query === "broken" ? new Response("nope", { status: 503 }) : Response.json({ answer: query });
    },
  });
});
afterAll(async () => {
  server.stop(true);
  await rm(dir, { recursive: true, force: true });
});

async function warm(...args: string[]) {
  const child = Bun.spawn(["bun", "run", CLI, ...args], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, RAG_CONFIG: "" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

describe("bun run warm", () => {
  test("runs one pass from the config and the warm list, with plain progress lines off a terminal", async () => {
    await writeFile(
      join(dir, "ragcache.json"),
      JSON.stringify({
        layers: [{ use: "memory" }],
        plugins: [{ use: "warming", loaders: { docs: { url: `http://127.0.0.1:${server.port}/` } } }],
      }),
    );
    await writeFile(
      join(dir, "warm_queries.json"),
      JSON.stringify([
        { namespace: "docs", query: "what is rag", priority: 2 },
        { namespace: "docs", query: "broken" },
        { namespace: "docs", query: "bm25" },
      ]),
    );
    const { stdout, stderr, code } = await warm("--config", "ragcache.json", "--list", "warm_queries.json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("[------------------------------] 0/3   0%");
    expect(stdout).toContain("[##############################] 3/3 100%  failed 1");
    expect(stdout).toContain("failed: [docs] broken: ");
    expect(stdout).toContain("done: warmed 2 of 3, 1 failed");
    expect(stdout).not.toContain("\r");
  });

  test("a hard error (invalid warm list, bad config) exits non-zero with the reason", async () => {
    await writeFile(join(dir, "bad.json"), JSON.stringify([{ namespace: "docs" }]));
    const badList = await warm("--config", "ragcache.json", "--list", "bad.json");
    expect(badList.code).toBe(1);
    expect(badList.stderr).toContain("[0.query]");
    const badConfig = await warm("--config", "missing.json");
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toContain("cannot read config");
  });
});
