// Pins plugins/chroma/feedback.ts with the layer's feedback() and reject() and POST /v1/feedback: verdicts on a live Chroma, across restarts, and the entry marks that spare a hit the verdict read.
import { afterAll, describe, expect, test } from "bun:test";
import { ChromaClient } from "chromadb";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, createKey, isRagCacheError, nextStamp, type CacheLayer } from "ragcache";
import { chroma } from "ragcache/chroma";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { encode } from "../../../plugins/chroma/codec.ts";
import { createServerApp } from "../../../src/server/app.ts";
import { chromaForTests } from "../../support/chroma-server.ts";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const server = chromaForTests("feedback");
const dirs: string[] = [];
let redisServer: RedisServer | undefined;
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  await redisServer?.stop();
});

const STORED = "how do i reset my password";
const ASKED = "how can i reset my password";

/** One "process": memory, a persistent exact layer (files in `dir`, or Redis under a prefix) and the chroma layer. */
function instance(collection: string, store: { dir: string } | { redisUrl: string; prefix: string }) {
  const semantic = chroma({ url: server.url, collection, timeout: "5s" });
  const files = "dir" in store ? file({ dir: store.dir }) : redis({ url: store.redisUrl, prefix: store.prefix });
  const cache = createCache({ layers: [memory(), files, semantic], layerTimeout: "10s" });
  return { cache, semantic, files };
}

async function persistentStores() {
  const dir = await mkdtemp(join(tmpdir(), "ragcache-feedback-"));
  dirs.push(dir);
  redisServer ??= await startRedis();
  return [{ dir }, { redisUrl: redisServer.url, prefix: `feedback-${process.pid}-${Date.now()}:` }];
}

/** The chain back-fills a semantic hit into the exact layers in the background: wait for it. */
async function backFilled(layer: CacheLayer, query: string): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await layer.get(createKey(query))) return true;
    await Bun.sleep(10);
  }
  return false;
}

describe("feedback on semantic matches", () => {
  test("a wrong verdict removes the match for that query at once, in every layer, and across a restart (file, Redis)", async () => {
    for (const store of await persistentStores()) await rejectAndRestart(server.collection(), store);
  });

  async function rejectAndRestart(collection: string, store: Parameters<typeof instance>[1]) {
    const first = instance(collection, store);
    await first.cache.set(STORED, "answer");
    const hit = await first.cache.lookup(ASKED);
    expect(hit).toMatchObject({ value: "answer", layer: "chroma", matchedText: STORED });
    expect(await backFilled(first.files, ASKED)).toBe(true);

    await first.semantic.reject(ASKED, hit!);
    expect(await first.cache.lookup(ASKED)).toBeUndefined();
    expect(await (first.files as CacheLayer).get(createKey(ASKED))).toBeUndefined();
    expect(first.semantic.stats!()).toMatchObject({ rejected: 1, judgedWrong: 1 });
    expect(await first.cache.lookup("hi, how can I reset my password please")).toMatchObject({ value: "answer" });
    await first.cache.close();

    const restarted = instance(collection, store);
    expect(await restarted.cache.lookup(ASKED)).toBeUndefined();
    expect((await restarted.semantic.explain(ASKED)).refused).toMatchObject([
      { matchedText: STORED, reason: "judged wrong for this query (feedback)" },
    ]);
    await restarted.cache.close();
  }

  test("a right verdict after a wrong one serves the match again, is counted, and is there for calibration", async () => {
    const semantic = chroma({ url: server.url, collection: server.collection(), timeout: "5s" });
    const cache = createCache({ layers: [semantic], layerTimeout: "10s" });
    await cache.set("what is the refund window", "30 days", { namespace: "answer" });
    const pair = { query: "what's the refund window", namespace: "answer", matchedText: "what is the refund window" };
    await semantic.feedback({ ...pair, verdict: "wrong" });
    expect(await cache.get(pair.query, { namespace: "answer" })).toBeUndefined();
    await semantic.feedback({ ...pair, verdict: "right" });
    expect(await cache.get(pair.query, { namespace: "answer" })).toBe("30 days");
    expect(semantic.stats!()).toMatchObject({ rejected: 1, confirmed: 1 });
    expect(await semantic.recordedFeedback()).toEqual([
      { query: pair.query, namespace: "answer", matchedText: pair.matchedText, verdict: "right" },
    ]);
    await cache.close();
  });

  test("a hit on an entry checked after its write reads no verdict; a wrong verdict from another instance still refuses it at once", async () => {
    const collection = server.collection();
    const [writer, reader] = [0, 1].map(() => chroma({ url: server.url, collection, timeout: "5s" }));
    const a = createCache({ layers: [writer!], layerTimeout: "10s" });
    const b = createCache({ layers: [reader!], layerTimeout: "10s" });
    await a.set(STORED, "answer");
    await writer!.flush();
    expect(await b.get(ASKED)).toBe("answer");
    expect(reader!.stats!()).toMatchObject({ verdictReads: 0 });
    await writer!.feedback({ query: ASKED, matchedText: STORED, verdict: "wrong" });
    expect(await b.get(ASKED)).toBeUndefined();
    expect(reader!.stats!()).toMatchObject({ verdictReads: 1, judgedWrong: 1 });
    expect(await b.get("hi, how can I reset my password please")).toBe("answer");
    await Promise.all([a.close(), b.close()]);
  });

  test("a wrong verdict given while the matched entry is absent holds once it is written: not yet, deleted, cleared", async () => {
    const semantic = chroma({ url: server.url, collection: server.collection(), timeout: "5s" });
    const cache = createCache({ layers: [semantic], layerTimeout: "10s" });
    await semantic.feedback({ query: ASKED, matchedText: STORED, verdict: "wrong" });
    for (const remove of [async () => {}, () => cache.delete(STORED), () => cache.clear()]) {
      await remove();
      await cache.set(STORED, "answer");
      await semantic.flush();
      expect(await cache.get(ASKED)).toBeUndefined();
    }
    expect(await cache.get("hi, how can I reset my password please")).toBe("answer");
    await cache.close();
  });

  test("an entry without the checked mark (written by an older version) has its verdict read before it is served", async () => {
    const collection = server.collection();
    const semantic = chroma({ url: server.url, collection, timeout: "5s" });
    await semantic.feedback({ query: ASKED, matchedText: STORED, verdict: "wrong" });
    const key = createKey(STORED);
    const [vector] = await semantic.embedder.embed([key.text]);
    const entry = { value: "answer", createdAt: Date.now(), expiresAt: Infinity, stamp: nextStamp(), digest: key.digest };
    const url = new URL(server.url);
    const raw = await new ChromaClient({ host: url.hostname, port: Number(url.port) }).getCollection({
      name: collection,
      embeddingFunction: null as never,
    });
    await raw.upsert({
      ids: [key.id],
      embeddings: [vector!],
      documents: [key.text],
      metadatas: [encode(key, entry, semantic.embedder.id)],
    });
    expect(await semantic.get(createKey(ASKED))).toBeUndefined();
    expect(semantic.stats!()).toMatchObject({ verdictReads: 1, judgedWrong: 1 });
    expect(await semantic.get(createKey("hi, how can I reset my password please"))).toMatchObject({ value: "answer" });
  });

  test("POST /v1/feedback records a verdict; a bad body is a 400 with the reason, no semantic layer a 501, an unreachable Chroma a 503", async () => {
    const semantic = chroma({ url: server.url, collection: server.collection(), timeout: "5s" });
    const cache = createCache({ layers: [memory(), semantic], layerTimeout: "10s" });
    const app = createServerApp({ cache });
    const post = (path: string, body: unknown) =>
      app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await cache.set(STORED, "answer", { namespace: "answer" });
    expect(await (await post("/v1/lookup", { query: ASKED, namespace: "answer" })).json()).toMatchObject({
      hit: true,
      matchedText: STORED,
    });
    const recorded = await post("/v1/feedback", { query: ASKED, namespace: "answer", matchedText: STORED, verdict: "wrong" });
    expect([recorded.status, await recorded.json()]).toEqual([200, { recorded: "wrong", layers: ["chroma"] }]);
    expect(await (await post("/v1/lookup", { query: ASKED, namespace: "answer" })).json()).toEqual({ hit: false });
    const bad = await post("/v1/feedback", { query: ASKED, matchedText: STORED, verdict: "meh" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("verdict");
    await cache.close();
    const plain = createServerApp({ cache: createCache({ layers: [memory()] }) });
    const none = await plain.request("/v1/feedback", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "a", matchedText: "b", verdict: "right" }),
    });
    expect(none.status).toBe(501);
    const unreachable = chroma({ url: "http://127.0.0.1:9", timeout: "200ms", retryAfter: "10ms" });
    const down = await createServerApp({ cache: createCache({ layers: [unreachable] }) }).request("/v1/feedback", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "a", matchedText: "b", verdict: "wrong" }),
    });
    expect(down.status).toBe(503);
    expect((await down.json()).error).toMatch(/^the verdict was not recorded: /);
  });

  test("bad feedback is a typed error, never a crash", async () => {
    const semantic = chroma({ url: server.url, collection: server.collection(), timeout: "5s" });
    const verdict = "maybe" as "wrong";
    const failed = await semantic.feedback({ query: "a", matchedText: "b", verdict }).catch((error: unknown) => error);
    expect(isRagCacheError(failed) && failed.message).toMatch(/verdict must be "wrong" or "right", got "maybe"/);
    expect(() => semantic.reject("a", { value: 1 } as { matchedText?: string })).toThrow(/has no matchedText/);
  });
});
