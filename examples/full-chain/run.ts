/**
 * The standalone server with the full chain from ragcache.json: memory → Redis (file fallback when
 * Redis is down) → Chroma (semantic). It starts what is missing: a private redis-server (Debian
 * package `redis-server`) unless REDIS_URL is set, and the pinned Chroma 1.0 server from the npm
 * package `chroma-server` unless CHROMA_URL is set; both on free loopback ports, stopped on exit.
 *
 *   bun run examples/full-chain/run.ts            # serve on :8787 until Ctrl-C
 *   bun run examples/full-chain/run.ts --demo     # serve, walk through exact, back-filled and semantic hits, stop
 *
 * Then: open http://127.0.0.1:8787/ (dashboard), GET /health shows memory, redis and chroma up.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "../..");
const children: Subprocess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await Bun.sleep(100))
    if (await ready().catch(() => false)) return;
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
}

async function startRedis(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const binary = Bun.which("redis-server");
  if (!binary) throw new Error("redis-server is not installed (apt-get install redis-server), and REDIS_URL is not set");
  const port = await freePort();
  children.push(
    Bun.spawn([binary, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdout: "ignore",
      stderr: "inherit",
    }),
  );
  await waitFor(
    "redis-server",
    async () => await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then((s) => (s.end(), true)),
  );
  return `redis://127.0.0.1:${port}`;
}

async function startChroma(): Promise<string> {
  if (process.env.CHROMA_URL) return process.env.CHROMA_URL;
  const dir = await mkdtemp(join(tmpdir(), "ragcache-example-chroma-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const cli = `require("chroma-server").cli(["chroma", "run", "--path", process.argv[1], "--host", "127.0.0.1", "--port", process.argv[2]])`;
  children.push(Bun.spawn([process.execPath, "-e", cli, dir, String(port)], { cwd: ROOT, stdout: "ignore", stderr: "inherit" }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor("chroma", async () => (await fetch(`${url}/api/v2/heartbeat`)).ok);
  return url;
}

async function stopAll(): Promise<void> {
  for (const child of children.reverse()) {
    child.kill("SIGTERM");
    await child.exited;
  }
  for (const cleanup of cleanups) await cleanup();
}

const demo = process.argv.includes("--demo");
const [redisUrl, chromaUrl] = await Promise.all([startRedis(), startChroma()]);
const port = demo ? await freePort() : Number(process.env.PORT ?? 8787);
const server = Bun.spawn(
  ["bun", "run", "src/server/main.ts", "--config", join(import.meta.dir, "ragcache.json"), "--port", String(port)],
  {
    cwd: ROOT,
    env: { ...process.env, RAG_REDIS_URL: redisUrl, RAG_CHROMA_URL: chromaUrl },
    stdout: "inherit",
    stderr: "inherit",
  },
);
children.unshift(server);
const base = `http://127.0.0.1:${port}`;
await waitFor("ragcache", async () => (await fetch(`${base}/health`)).status < 500);
process.once("SIGINT", () => void stopAll().then(() => process.exit(0)));
process.once("SIGTERM", () => void stopAll().then(() => process.exit(0)));

if (demo) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    console.log(`${method} ${path} → ${response.status} ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`);
    return text ? JSON.parse(text) : undefined;
  };
  await call("GET", "/health");
  await call("PUT", `/v1/cache/answer/${encodeURIComponent("how do I reset my password?")}`, {
    value: "Settings → Security → Reset password.",
    tags: ["doc:17"],
  });
  await call("POST", "/v1/lookup", { query: "How do I reset my password?", namespace: "answer" });
  // The chroma layer writes behind, in batches: a paraphrase finds the entry once its write has landed.
  for (
    let tries = 0;
    tries < 20 && !(await call("POST", "/v1/lookup", { query: "how can I reset my password", namespace: "answer" })).hit;
    tries++
  )
    await Bun.sleep(100);
  await call("POST", "/v1/invalidate", { documents: [17] });
  await call("POST", "/v1/lookup", { query: "how do I reset my password?", namespace: "answer" });
  const stats = await call("GET", "/stats");
  console.log(`layers: ${stats.layers.map((l: { name: string; hits: number }) => `${l.name} ${l.hits} hit(s)`).join(", ")}`);
  await stopAll();
} else {
  console.log(`full chain on ${base} (redis ${redisUrl}, chroma ${chromaUrl}); Ctrl-C stops everything`);
}
