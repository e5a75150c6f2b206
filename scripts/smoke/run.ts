/**
 * Runtime smoke tests on the packed tarball: `npm pack`, installed into fresh temporary projects (never
 * the source tree), then Node 20 and 22 (core, memory, file, real Redis, Hono on @hono/node-server,
 * the node-server example), a strict TypeScript consumer, Deno 2 through npm: specifiers plus
 * `deno publish --dry-run` of jsr.json, and workerd running the cloudflare-worker example. Prints the
 * memory-only install size and the gzipped edge bundle. Runtimes and npm's cache live in
 * $RAGCACHE_SMOKE_CACHE (default: the temp dir), so a second run installs nothing new.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { freePort, startRedis } from "../../test/support/redis-server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const HERE = import.meta.dir;
const CACHE = process.env.RAGCACHE_SMOKE_CACHE ?? join(tmpdir(), "ragcache-smoke");
/** Pinned so a cached install stays valid; bump together. */
const RUNTIMES = {
  node: "22.23.3",
  deno: "2.9.6",
  workerd: "1.20261117.1",
  typescript: "5.9.3",
  "@types/node": "22.20.7",
  croner: "11.0.1",
};

const results: { name: string; ok: boolean; detail: string }[] = [];

async function run(cmd: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 240_000): Promise<string> {
  const child = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}\n${out}${err}`.trim());
  return out + err;
}

async function step(name: string, body: () => Promise<string>): Promise<void> {
  const started = performance.now();
  try {
    const detail = await body();
    results.push({ name, ok: true, detail });
    console.log(`ok   ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)${detail ? `\n${indent(detail)}` : ""}`);
  } catch (error) {
    results.push({ name, ok: false, detail: String(error) });
    console.log(`FAIL ${name}\n${indent((error as Error).message ?? String(error))}`);
  }
}

const indent = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((line) => `     ${line}`)
    .join("\n");

const npmInstall = (cwd: string, specs: string[]) =>
  run(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...specs], cwd);

async function runtimes(): Promise<string> {
  const dir = join(CACHE, "runtimes");
  const manifest = JSON.stringify({ name: "ragcache-smoke-runtimes", private: true, dependencies: RUNTIMES }, null, 2);
  const current = await readFile(join(dir, "package.json"), "utf8").catch(() => "");
  const installed = await stat(join(dir, "node_modules", ".bin", "workerd")).then(
    () => true,
    () => false,
  );
  if (current !== manifest || !installed) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), manifest);
    await npmInstall(dir, []);
  }
  return dir;
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

async function project(work: string, name: string, tarball: string, specs: string[]): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: `smoke-${name}`, private: true, type: "module" }));
  await npmInstall(dir, [tarball, ...specs]);
  return dir;
}

async function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return;
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Starts a server process, sends the same request twice, and returns the X-Cache of each. */
async function missThenHit(cmd: string[], cwd: string, port: number, request: () => Request): Promise<string> {
  const child = Bun.spawn(cmd, { cwd, env: { ...process.env, PORT: String(port) }, stdout: "pipe", stderr: "pipe" });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`);
    const marks: string[] = [];
    for (let i = 0; i < 2; i++) marks.push((await fetch(request())).headers.get("x-cache") ?? "none");
    if (marks.join(" ") !== "MISS HIT") throw new Error(`expected MISS then HIT, got ${marks.join(" then ")}`);
    return marks.join(" then ");
  } finally {
    child.kill();
    await child.exited;
  }
}

const started = performance.now();
const work = await mkdtemp(join(tmpdir(), "ragcache-pack-"));
const tools = await runtimes();
const bin = (name: string) => join(tools, "node_modules", ".bin", name);
const systemNodeMajor = Number((await run(["node", "--version"], ROOT)).trim().slice(1).split(".")[0]);

await run(["npm", "pack", "--pack-destination", work, "--loglevel=error"], ROOT);
const tarball = join(work, (await readdir(work)).find((file) => file.endsWith(".tgz"))!);
console.log(`packed ${tarball} (${mb((await stat(tarball)).size)})`);

await step("memory-only install (ragcache + hono) under 5 MB", async () => {
  const dir = await project(work, "memory-only", tarball, ["hono"]);
  const bytes = await directorySize(join(dir, "node_modules"));
  const packages = (await readdir(join(dir, "node_modules"))).filter((name) => !name.startsWith("."));
  const line = `memory-only install: ${mb(bytes)} (${packages.join(", ")})`;
  if (bytes >= 5 * 1024 * 1024) throw new Error(line);
  return line;
});

const app = await project(work, "app", tarball, ["hono", "ioredis", "@hono/node-server", "croner"]);
const redisServer = await startRedis({ private: true });
try {
  await cp(join(HERE, "node-smoke.mjs"), join(app, "node-smoke.mjs"));
  const nodes: [string, string][] = [["22", bin("node")]];
  if (systemNodeMajor === 20) nodes.unshift(["20", "node"]);
  else nodes.unshift(["20", join(await runtimesFor20(), "node_modules", ".bin", "node")]);
  for (const [major, node] of nodes) {
    await step(`Node ${major}: core, memory, file, redis, Hono on @hono/node-server`, async () => {
      const out = await run([node, "node-smoke.mjs"], app, { REDIS_URL: redisServer.url });
      return out.trim().split("\n").at(-1)!;
    });
  }
} finally {
  await redisServer.stop();
}

await step("examples/node-server as written: MISS then HIT", async () => {
  await cp(join(ROOT, "examples", "node-server", "server.mjs"), join(app, "server.mjs"));
  const body = JSON.stringify({ question: "what is rag?" });
  const request = () =>
    new Request(`http://127.0.0.1:${port}/answer`, { method: "POST", body, headers: { "content-type": "application/json" } });
  const port = await freePort();
  return missThenHit(["node", "server.mjs"], app, port, request);
});

await step("strict consumer typechecks against the packed .d.ts (no skipLibCheck)", async () => {
  await cp(join(HERE, "consumer.ts"), join(app, "consumer.ts"));
  await cp(join(HERE, "consumer.tsconfig.json"), join(app, "tsconfig.json"));
  await run([bin("tsc"), "-p", "tsconfig.json", "--typeRoots", join(tools, "node_modules", "@types")], app);
  return "strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess: 0 errors";
});

await step("Deno 2 through npm: specifiers: MISS then HIT", async () => {
  await cp(join(HERE, "deno-smoke.ts"), join(app, "deno-smoke.ts"));
  await writeFile(join(app, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  return (await run([bin("deno"), "run", "-A", "deno-smoke.ts"], app, { DENO_DIR: join(CACHE, "deno"), NO_COLOR: "1" })).trim();
});

await step("jsr.json passes deno publish --dry-run", async () => {
  const out = await run(
    [bin("deno"), "publish", "--dry-run", "--allow-dirty", "--allow-slow-types", "--config", "jsr.json"],
    ROOT,
    { DENO_DIR: join(CACHE, "deno"), NO_COLOR: "1" },
  );
  return out.trim().split("\n").at(-1)!;
});

await step("workerd runs examples/cloudflare-worker: MISS then HIT", async () => {
  const worker = join(app, "cloudflare-worker");
  await cp(join(ROOT, "examples", "cloudflare-worker"), worker, { recursive: true });
  await rm(join(worker, "package.json"));
  await run(["bun", "build", "worker.mjs", "--target=browser", "--minify", "--outfile", "dist/worker.js"], worker);
  const gzipped = gzipSync(await readFile(join(worker, "dist", "worker.js"))).length;
  const port = await freePort();
  const marks = await missThenHit(
    [bin("workerd"), "serve", "config.capnp", `--socket-addr=http=127.0.0.1:${port}`],
    worker,
    port,
    () => new Request(`http://127.0.0.1:${port}/answer?q=edge`),
  );
  return `${marks}; edge bundle (hono + ragcache core + memory, minified): ${(gzipped / 1024).toFixed(1)} KB gzipped`;
});

async function runtimesFor20(): Promise<string> {
  const dir = join(CACHE, "node20");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "ragcache-smoke-node20", private: true }));
  await npmInstall(dir, ["node@20"]);
  return dir;
}

await rm(work, { recursive: true, force: true });
const failed = results.filter((result) => !result.ok).length;
console.log(
  `smoke: ${results.length - failed} passed, ${failed} failed (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
process.exit(failed ? 1 : 0);
