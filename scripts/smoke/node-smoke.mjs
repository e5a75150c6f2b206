// Runs under Node (and Bun) from a project that installed the packed ragcache: every check prints one line.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createCache, isRagCacheError, loadConfig, toMs } from "ragcache";
import { file } from "ragcache/file";
import { ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { openAIProxy } from "ragcache/openai";
import { redis } from "ragcache/redis";

const results = { passed: 0, failed: 0 };
async function check(name, body) {
  try {
    await body();
    results.passed++;
    console.log(`  ok   ${name}`);
  } catch (error) {
    results.failed++;
    console.log(`  FAIL ${name}: ${error?.stack ?? error}`);
  }
}

const dir = await mkdtemp(join(tmpdir(), "ragcache-node-smoke-"));
const runtime = typeof Bun === "undefined" ? `node ${process.version}` : `bun ${Bun.version}`;
console.log(runtime);

await check("core + memory: the loader runs once, then a hit", async () => {
  const cache = createCache({ layers: [memory()], defaultTtl: "1h30m" });
  let runs = 0;
  const load = async () => ({ answer: 42, run: ++runs });
  assert.deepEqual(await cache.getOrSet("what is rag?", load), { answer: 42, run: 1 });
  assert.deepEqual(await cache.getOrSet("What is  RAG?", load), { answer: 42, run: 1 });
  assert.equal(toMs("2 days"), 172_800_000);
  await cache.close();
});

await check("file layer: an entry outlives the process's cache", async () => {
  const first = createCache({ layers: [file({ dir: join(dir, "files") })] });
  await first.set("persisted", { docs: [1, 2, 3] });
  await first.close();
  const second = createCache({ layers: [file({ dir: join(dir, "files") })] });
  assert.deepEqual(await second.get("persisted"), { docs: [1, 2, 3] });
  await second.close();
});

await check("redis layer: a second cache reads what the first wrote", async () => {
  assert.ok(process.env.REDIS_URL, "REDIS_URL is set");
  const prefix = `smoke-${process.version}-${Date.now()}:`;
  const writer = createCache({ layers: [memory(), redis({ url: process.env.REDIS_URL, prefix })] });
  await writer.ready;
  await writer.set("shared question", { answer: "from redis" });
  const reader = createCache({ layers: [memory(), redis({ url: process.env.REDIS_URL, prefix })] });
  await reader.ready;
  assert.deepEqual(await reader.get("shared question"), { answer: "from redis" });
  await Promise.all([writer.close(), reader.close()]);
});

await check("loadConfig: built-in plugins by name, durations as words", async () => {
  const options = await loadConfig({
    layers: [
      { use: "memory", max: 100 },
      { use: "file", dir: join(dir, "config") },
    ],
    defaultTtl: "10 minutes",
  });
  const cache = createCache(options);
  await cache.set("k", "v");
  assert.equal(await cache.get("k"), "v");
  await cache.close();
});

await check("a plugin without its package: E_MISSING_PEER naming it", async () => {
  const error = await import("ragcache/chroma").then(
    () => undefined,
    (caught) => caught,
  );
  assert.ok(isRagCacheError(error, "E_MISSING_PEER"), `got ${error}`);
  assert.match(error.message, /"chromadb" package/);
});

await check("Hono middleware on @hono/node-server: MISS then HIT", async () => {
  const cache = createCache({ layers: [memory()] });
  let computed = 0;
  const app = new Hono().get("/answer", ragcache({ cache, namespace: "http", ttl: "90s" }), (c) => c.json({ n: ++computed }));
  const server = await new Promise((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ listening, port: info.port }),
    );
  });
  const url = `http://127.0.0.1:${server.port}/answer?q=1`;
  const first = await fetch(url);
  const second = await fetch(url);
  assert.equal(first.headers.get("x-cache"), "MISS");
  assert.equal(second.headers.get("x-cache"), "HIT");
  assert.deepEqual([await first.json(), await second.json()], [{ n: 1 }, { n: 1 }]);
  await new Promise((resolve) => server.listening.close(resolve));
  await cache.close();
});

/** Serves a Hono app on @hono/node-server at a free loopback port. */
function listen(app) {
  return new Promise((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ listening, port: info.port }),
    );
  });
}

await check("OpenAI proxy on @hono/node-server: a streamed MISS, then the same content replayed as a HIT", async () => {
  let upstreamCalls = 0;
  const chunk = (delta, finish_reason = null) =>
    `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
  const upstreamApp = new Hono().post("/v1/chat/completions", () => {
    upstreamCalls++;
    const body = [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "forty " }),
      chunk({ content: "two" }),
      chunk({}, "stop"),
      "data: [DONE]\n\n",
    ];
    return new Response(body.join(""), { headers: { "content-type": "text/event-stream" } });
  });
  const upstream = await listen(upstreamApp);
  const cache = createCache({ layers: [memory()] });
  const proxy = await listen(
    new Hono().route("/", openAIProxy({ cache, upstream: { baseURL: `http://127.0.0.1:${upstream.port}/v1` }, env: {} })),
  );
  const ask = () =>
    fetch(`http://127.0.0.1:${proxy.port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk" },
      body: JSON.stringify({ model: "m", temperature: 0, stream: true, messages: [{ role: "user", content: "q" }] }),
    });
  const contentOf = (text) =>
    text
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .map((event) => JSON.parse(event.slice(6)).choices[0].delta.content ?? "")
      .join("");
  const miss = await ask();
  const missText = await miss.text();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const hit = await ask();
  assert.equal(miss.headers.get("x-ragcache"), "MISS");
  assert.equal(hit.headers.get("x-ragcache"), "HIT");
  assert.equal(contentOf(await hit.text()), "forty two");
  assert.equal(contentOf(missText), "forty two");
  assert.equal(upstreamCalls, 1);
  await Promise.all([upstream, proxy].map((server) => new Promise((resolve) => server.listening.close(resolve))));
  await cache.close();
});

await rm(dir, { recursive: true, force: true });
console.log(`${runtime}: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
