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

/** Entries JSR does not carry: Bun's test kit, and adapters whose peers' types JSR cannot check. */
const NPM_ONLY_ENTRIES = ["./testing", "./ai-sdk", "./langchain", "./package.json"];

/** A guard against a library entry dragging server-only code (or all of a dependency) to the edge. */
const EDGE_BUDGET_KB = 64;

/** The lower bound of package.json's hono peer range (@hono/node-server 2 needs hono/ws of 4.7). */
const OLDEST_HONO = "4.7.0";

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

/** Starts a server process, waits until it answers, runs `check` against it, then stops it. */
async function withServer(cmd: string[], cwd: string, port: number, check: () => Promise<string>): Promise<string> {
  const child = Bun.spawn(cmd, { cwd, env: { ...process.env, PORT: String(port) }, stdout: "pipe", stderr: "pipe" });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`);
    return await check();
  } finally {
    child.kill();
    await child.exited;
  }
}

/** Sends the same request twice to a server process and returns the X-Cache of each. */
const missThenHit = (cmd: string[], cwd: string, port: number, request: () => Request) =>
  withServer(cmd, cwd, port, async () => {
    const marks: string[] = [];
    for (let i = 0; i < 2; i++) marks.push((await fetch(request())).headers.get("x-cache") ?? "none");
    if (marks.join(" ") !== "MISS HIT") throw new Error(`expected MISS then HIT, got ${marks.join(" then ")}`);
    return marks.join(" then ");
  });

/** The standalone server from the bin: a PUT then a GET of the same entry. */
async function serveRoundTrip(cmd: string[], cwd: string): Promise<string> {
  const port = await freePort();
  return withServer([...cmd, "--port", String(port)], cwd, port, async () => {
    const url = `http://127.0.0.1:${port}/v1/cache/smoke/question`;
    const put = await fetch(url, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: { answer: 42 }, ttl: "1h30m" }),
    });
    const got = await fetch(url);
    const body = (await got.json()) as { value?: unknown };
    if (put.status !== 200 || got.status !== 200 || JSON.stringify(body.value) !== '{"answer":42}')
      throw new Error(`PUT ${put.status}, GET ${got.status} ${JSON.stringify(body)}`);
    return `PUT then GET on :${port}: ${JSON.stringify(body.value)}`;
  });
}

const started = performance.now();
const work = await mkdtemp(join(tmpdir(), "ragcache-pack-"));
const tools = await runtimes();
const bin = (name: string) => join(tools, "node_modules", ".bin", name);
const systemNodeMajor = Number((await run(["node", "--version"], ROOT)).trim().slice(1).split(".")[0]);

await run(["npm", "pack", "--pack-destination", work, "--loglevel=error"], ROOT);
const tarball = join(work, (await readdir(work)).find((file) => file.endsWith(".tgz"))!);
console.log(`packed ${tarball} (${mb((await stat(tarball)).size)})`);

const memoryOnly = await project(work, "memory-only", tarball, ["hono"]);
await step("memory-only install (ragcache + the latest hono) under 5 MB", async () => {
  const bytes = await directorySize(join(memoryOnly, "node_modules"));
  const packages = (await readdir(join(memoryOnly, "node_modules"))).filter((name) => !name.startsWith("."));
  const line = `memory-only install: ${mb(bytes)} (${packages.join(", ")})`;
  if (bytes >= 5 * 1024 * 1024) throw new Error(line);
  return line;
});

// The app is on the oldest hono the peer range allows, so types and middleware are proven across 4.x.
const app = await project(work, "app", tarball, [`hono@${OLDEST_HONO}`, "ioredis", "@hono/node-server", "croner"]);
const redisServer = await startRedis({ private: true });
try {
  await cp(join(HERE, "node-smoke.mjs"), join(app, "node-smoke.mjs"));
  const nodes: [string, string][] = [["22", bin("node")]];
  if (systemNodeMajor === 20) nodes.unshift(["20", "node"]);
  else nodes.unshift(["20", join(await runtimesFor20(), "node_modules", ".bin", "node")]);
  for (const [major, node] of nodes) {
    await step(`Node ${major}: core, memory, file, redis, Hono ${OLDEST_HONO} on @hono/node-server`, async () => {
      const out = await run([node, "node-smoke.mjs"], app, { REDIS_URL: redisServer.url });
      return out.trim().split("\n").at(-1)!;
    });
  }
} finally {
  await redisServer.stop();
}

await step("Bun on the packed tarball: the same checks, and ragcache/testing's conformance suite", async () => {
  await writeFile(
    join(app, "conformance.test.mjs"),
    'import { layerConformance } from "ragcache/testing";\nimport { memory } from "ragcache/memory";\nlayerConformance("memory", () => memory());\n',
  );
  const redisServer = await startRedis({ private: true });
  try {
    const checks = await run(["bun", "node-smoke.mjs"], app, { REDIS_URL: redisServer.url });
    const suite = await run(["bun", "test", "./conformance.test.mjs"], app);
    return `${checks.trim().split("\n").at(-1)}; conformance: ${suite.match(/(\d+) pass/)?.[0]}, ${suite.match(/(\d+) fail/)?.[0]}`;
  } finally {
    await redisServer.stop();
  }
});

await step("bin: npx ragcache serve (Node), bunx --bun ragcache serve (Bun), ragcache warm", async () => {
  const node = await serveRoundTrip(["npx", "--no-install", "ragcache", "serve"], app);
  const bun = await serveRoundTrip(["bunx", "--bun", "ragcache", "serve"], app);
  await writeFile(join(app, "warm.json"), JSON.stringify([{ query: "what is rag?" }]));
  const warm = await run(
    ["npx", "--no-install", "ragcache", "warm", "--list", "warm.json", "--loader", "default=http://127.0.0.1:9/"],
    app,
  );
  if (!/done: warmed/.test(warm)) throw new Error(warm);
  return `node: ${node}\nbun: ${bun}\nwarm: ${warm.trim().split("\n").at(-1)}`;
});

await step("examples/node-server as written: MISS then HIT", async () => {
  await cp(join(ROOT, "examples", "node-server", "server.mjs"), join(app, "server.mjs"));
  const body = JSON.stringify({ question: "what is rag?" });
  const request = () =>
    new Request(`http://127.0.0.1:${port}/answer`, { method: "POST", body, headers: { "content-type": "application/json" } });
  const port = await freePort();
  return missThenHit(["node", "server.mjs"], app, port, request);
});

// On the latest hono (whose types, unlike 4.7's, need no DOM lib), after the memory-only size was taken.
await step("strict consumer typechecks against the packed .d.ts (no skipLibCheck, no DOM lib)", async () => {
  await npmInstall(memoryOnly, ["ioredis", "croner"]);
  await cp(join(HERE, "consumer.ts"), join(memoryOnly, "consumer.ts"));
  await cp(join(HERE, "consumer.tsconfig.json"), join(memoryOnly, "tsconfig.json"));
  await run([bin("tsc"), "-p", "tsconfig.json", "--typeRoots", join(tools, "node_modules", "@types")], memoryOnly);
  return "strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess: 0 errors";
});

await step("Deno 2 through npm: specifiers: MISS then HIT", async () => {
  await cp(join(HERE, "deno-smoke.ts"), join(app, "deno-smoke.ts"));
  await writeFile(join(app, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
  return (await run([bin("deno"), "run", "-A", "deno-smoke.ts"], app, { DENO_DIR: join(CACHE, "deno"), NO_COLOR: "1" })).trim();
});

await step("jsr.json matches package.json and passes deno publish --dry-run", async () => {
  const [npm, jsr] = await Promise.all(
    ["package.json", "jsr.json"].map(async (file) => JSON.parse(await readFile(join(ROOT, file), "utf8"))),
  );
  const npmEntries = Object.keys(npm.exports).filter((entry) => !NPM_ONLY_ENTRIES.includes(entry));
  if (jsr.version !== npm.version || JSON.stringify(Object.keys(jsr.exports).sort()) !== JSON.stringify(npmEntries.sort()))
    throw new Error(
      `jsr.json (${jsr.version}: ${Object.keys(jsr.exports)}) differs from package.json (${npm.version}: ${npmEntries})`,
    );
  const out = await run(
    [bin("deno"), "publish", "--dry-run", "--allow-dirty", "--allow-slow-types", "--config", "jsr.json"],
    ROOT,
    { DENO_DIR: join(CACHE, "deno"), NO_COLOR: "1" },
  );
  return out.trim().split("\n").at(-1)!;
});

await step("workerd runs examples/cloudflare-worker (ragcache + the latest hono): MISS then HIT", async () => {
  const worker = join(memoryOnly, "cloudflare-worker");
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
  const size = `edge bundle (hono + ragcache core + memory, minified): ${(gzipped / 1024).toFixed(1)} KB gzipped`;
  if (gzipped > EDGE_BUDGET_KB * 1024) throw new Error(`${size}, over the ${EDGE_BUDGET_KB} KB budget`);
  return `${marks}; ${size}`;
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
console.log(`smoke took ${((performance.now() - started) / 1000).toFixed(0)} s`);
console.log(`smoke: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
