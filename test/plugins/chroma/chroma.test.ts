// Pins plugins/chroma/index.ts with lookup.ts, writes.ts, query-batch.ts, codec.ts and guard.ts, on a live Chroma.
import { expect, test } from "bun:test";
import { ChromaClient } from "chromadb";
import { createCache, createKey, loadConfig, type CacheEvents, type CacheLayer } from "ragcache";
import { chroma, type ChromaOptions } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { layerConformance, manualClock } from "ragcache/testing";
import { chromaForTests } from "../../support/chroma-server.ts";

const server = chromaForTests("test");

/**
 * A layer on a collection of its own, so tests never see each other's entries. Generous deadlines:
 * other suites load the machine, and these tests are about behaviour (outage.test.ts is about time).
 */
const layerFor = (options: ChromaOptions = {}) =>
  chroma({ url: server.url, collection: server.collection(), timeout: "5s", ...options });

/** A chain ending in a fresh chroma layer; its `set` also waits until the write reached Chroma, so lookups exercise the query path. */
function semanticCache(options: ChromaOptions = {}, extra: { before?: CacheLayer[]; now?: () => number } = {}) {
  const layer = layerFor(options);
  const cache = createCache({ layers: [...(extra.before ?? []), layer], now: extra.now, layerTimeout: "10s" });
  const set: typeof cache.set = async (...args) => {
    await cache.set(...args);
    await layer.flush();
  };
  return { cache, layer, set };
}

layerConformance("chroma layer", () => layerFor(), { additionalTests: chromaLayerTests });

/** What this layer does beyond the shared suite, in the same `describe`. */
function chromaLayerTests(): void {
  test("a paraphrase above the threshold answers, with its similarity and the text it matched", async () => {
    const { cache, set } = semanticCache();
    await set("How do I reset my password?", "open settings, then security");
    const found = await cache.lookup("How can I reset my password?");
    expect(found?.value).toBe("open settings, then security");
    expect(found?.layer).toBe("chroma");
    expect(found?.similarity).toBeGreaterThan(0.9);
    expect(found?.similarity).toBeLessThan(1);
    expect(found?.matchedText).toBe("how do i reset my password?");
    await cache.close();
  });

  test("with namespaces set, other namespaces pass by unembedded", async () => {
    const { cache, layer, set } = semanticCache({ namespaces: ["retrieval"] });
    await set("How do I reset my password?", "docs", { namespace: "retrieval" });
    await set("How do I reset my password?", "response", { namespace: "http" });
    expect(await cache.get("How can I reset my password?", { namespace: "retrieval" })).toBe("docs");
    expect(await cache.get("How do I reset my password?", { namespace: "http" })).toBeUndefined();
    expect(layer.stats!()).toMatchObject({ lookups: 1 });
    await cache.close();
  });

  test("an unrelated question is a miss", async () => {
    const { cache, set } = semanticCache();
    await set("How do I reset my password?", "settings");
    expect(await cache.get("How do I bake sourdough bread?")).toBeUndefined();
    await cache.close();
  });

  test("a semantic hit is back-filled into the exact layers under the new key", async () => {
    const l1 = memory();
    const { cache, set } = semanticCache({}, { before: [l1] });
    await set("what is retrieval augmented generation?", { docs: [1, 2] }, { ttl: "1h", tags: ["doc:1"] });
    l1.clear();
    const hits: CacheEvents["hit"][] = [];
    cache.on("hit", (hit) => void hits.push(hit));
    expect(await cache.get("What's retrieval-augmented generation")).toEqual({ docs: [1, 2] });
    await cache.close();
    expect(hits[0]).toMatchObject({ layer: "chroma", matchedText: "what is retrieval augmented generation?" });
    const copied = l1.get(createKey("What's retrieval-augmented generation"));
    expect(copied).toMatchObject({ value: { docs: [1, 2] }, tags: ["doc:1"] });
    expect(copied).not.toHaveProperty("similarity");
  });

  test("namespaces and parameters are never crossed", async () => {
    const { cache, set } = semanticCache();
    await set("top papers on rag", "retrieval", { namespace: "retrieval", params: { k: 5 } });
    expect(await cache.get("top papers on rag", { namespace: "answers", params: { k: 5 } })).toBeUndefined();
    expect(await cache.get("top papers on rag", { namespace: "retrieval", params: { k: 6 } })).toBeUndefined();
    expect(await cache.get("top papers on rag", { namespace: "retrieval" })).toBeUndefined();
    expect(await cache.get("top papers about rag", { namespace: "retrieval", params: { k: 5 } })).toBe("retrieval");
    await cache.close();
  });

  test("close neighbours of other namespaces do not hide the key's own entry", async () => {
    const { cache, layer, set } = semanticCache({ candidates: 2 });
    for (const namespace of ["a", "b", "c"]) await set("how do i reset my password", namespace, { namespace });
    await set("how can i reset my password", "mine", { namespace: "mine" });
    expect(await cache.get("how do i reset my password", { namespace: "mine" })).toBe("mine");
    expect(await cache.get("how do i reset my password", { namespace: "other" })).toBeUndefined();
    expect(layer.stats!()).toMatchObject({ hits: 1, filtered: 2 });
    await cache.close();
  });

  test("writes go behind: the key itself answers at once, and close() flushes them to Chroma", async () => {
    const collection = server.collection();
    const layer = chroma({ url: server.url, collection, timeout: "5s" });
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    await cache.set("how do i reset my password", "queued");
    expect(await cache.lookup("how do i reset my password")).toMatchObject({ value: "queued", similarity: 1 });
    await cache.close();
    const reopened = chroma({ url: server.url, collection, timeout: "5s" });
    expect((await reopened.get(createKey("how can i reset my password")))?.value).toBe("queued");
  });

  test("a delete or tag invalidation while a write is queued: the write never lands", async () => {
    const { cache, layer } = semanticCache();
    await cache.set("what is rag", "gone", { tags: ["doc:1"] });
    await cache.set("what is hnsw", "tagged", { tags: ["doc:2"] });
    await cache.set("what is bm25", "kept");
    await cache.delete("what is rag");
    await cache.invalidateTags(["doc:2"]);
    await layer.flush();
    expect(await layer.get(createKey("what is rag"))).toBeUndefined();
    expect(await layer.get(createKey("what is hnsw"))).toBeUndefined();
    expect((await layer.get(createKey("what is bm25")))?.value).toBe("kept");
    await cache.close();
  });

  test("concurrent writes and lookups share requests", async () => {
    const { cache, layer } = semanticCache();
    const questions = Array.from({ length: 40 }, (_, i) => `question ${i} about subject ${String.fromCharCode(97 + (i % 26))}`);
    await Promise.all(questions.map((q) => cache.set(q, q)));
    await layer.flush();
    const answers = await Promise.all(questions.map((q) => cache.get(`${q}?`)));
    expect(answers).toEqual(questions);
    const stats = layer.stats!() as { writeBatches: number; queries: number };
    expect(stats.writeBatches).toBeLessThan(10);
    expect(stats.queries).toBeLessThan(10);
    await cache.close();
  });

  test("a brand-new collection under concurrent misses answers without errors", async () => {
    const { cache } = semanticCache();
    const errors: CacheEvents["error"][] = [];
    cache.on("error", (error) => void errors.push(error));
    let next = 0;
    const client = async () => {
      for (let i = next++; i < 600; i = next++) {
        const text = `fresh question ${i} on topic ${i % 37}`;
        if ((await cache.get(text)) === undefined) await cache.set(text, i);
      }
    };
    await Promise.all(Array.from({ length: 16 }, client));
    await cache.close();
    expect(errors.map((error) => error.error.message)).toEqual([]);
  });

  test("the guard keeps numbers, negations and named things apart; with guard: false similarity alone decides", async () => {
    const pairs = [
      ["top 5 papers on retrieval augmented generation", "top 10 papers on retrieval augmented generation"],
      ["is ibuprofen safe during pregnancy", "is ibuprofen not safe during pregnancy"],
      ["show me flights from paris to london", "show me flights from london to paris"],
      ["is there no way to undo a git commit", "is there a way to undo a git commit"],
    ];
    for (const guard of [true, false]) {
      const { cache, set } = semanticCache({ guard, threshold: 0.6 });
      for (const [stored, asked] of pairs) {
        await set(stored!, stored);
        expect(await cache.get(asked!)).toBe(guard ? undefined : stored);
        await cache.clear();
      }
      await cache.close();
    }
  });

  test("paraphrases that keep numbers, negations and names still hit with the guard on", async () => {
    const { cache, set } = semanticCache();
    const pairs = [
      ["Top 5 papers on retrieval augmented generation", "top 5 papers about retrieval augmented generation"],
      ["Why does my code not work?", "Why doesn't my code work"],
      ["What is the capital of France?", "What's the capital of France"],
    ];
    for (const [stored, asked] of pairs) {
      await set(stored!, stored);
      expect(await cache.get(asked!)).toBe(stored);
    }
    await cache.close();
  });

  test("a custom guard function decides instead of the built-in one", async () => {
    const seen: string[][] = [];
    const { cache, set } = semanticCache({ guard: (query, candidate) => (seen.push([query, candidate]), false) });
    await set("how do i reset my password", 1);
    expect(await cache.get("how can i reset my password")).toBeUndefined();
    expect(seen).toEqual([["how can i reset my password", "how do i reset my password"]]);
    await cache.close();
  });

  test("the threshold decides: below it a close question is a miss", async () => {
    const { cache, set } = semanticCache({ threshold: 0.999 });
    await set("How do I reset my password?", 1);
    expect(await cache.get("How can I reset my password?")).toBeUndefined();
    expect(await cache.get("How do I reset my password?")).toBe(1);
    await cache.close();
  });

  test("an expired entry is never returned, and purging removes it from the collection", async () => {
    const clock = manualClock(Date.now());
    const { cache, layer, set } = semanticCache({ sweepInterval: "1h" }, { now: clock.now });
    await set("what is a vector database", "short", { ttl: "1m" });
    await set("what is an embedding", "long", { ttl: "1d" });
    clock.advance("2m");
    expect(await layer.get(createKey("what is a vector database"))).toBeUndefined();
    expect(await cache.get("what are vector databases")).toBeUndefined();
    await layer.purgeExpired();
    clock.set(clock.now() - 120_000);
    expect(await layer.get(createKey("what is a vector database"))).toBeUndefined();
    expect((await layer.get(createKey("what is an embedding")))?.value).toBe("long");
    await cache.close();
  });

  test("expired entries are swept by themselves every sweepInterval, as tracked background work", async () => {
    const clock = manualClock(Date.now());
    const { cache, layer, set } = semanticCache({ sweepInterval: "10m" }, { now: clock.now });
    await set("what is a vector database", "short", { ttl: "1m" });
    clock.advance("11m");
    await cache.get("anything at all");
    await cache.close();
    clock.set(clock.now() - 11 * 60_000);
    expect(await layer.get(createKey("what is a vector database"))).toBeUndefined();
  });

  test("a record whose stored entry is not readable is skipped: the next neighbour still answers", async () => {
    const collection = server.collection();
    const layer = chroma({ url: server.url, collection, timeout: "5s" });
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    await cache.set("How do I reset my password?", "open settings, then security");
    await layer.flush();
    const url = new URL(server.url);
    const client = new ChromaClient({ host: url.hostname, port: Number(url.port) });
    const raw = await client.getCollection({ name: collection, embeddingFunction: null as never });
    const good = await raw.get({ ids: [createKey("How do I reset my password?").id], include: ["metadatas"] });
    const [vector] = await layer.embedder.embed([createKey("How can I reset my password?").text]);
    // The nearest record to the question, of its own partition, with an entry that is not JSON.
    await raw.upsert({
      ids: ["corrupt"],
      embeddings: [vector!],
      documents: ["how can i reset my password?"],
      metadatas: [{ ...good.metadatas[0]!, entry: "{not json" }],
    });
    expect(await cache.get("How can I reset my password?")).toBe("open settings, then security");
    await cache.close();
  });

  test("invalidateTags removes every semantic entry with any of the tags", async () => {
    const { cache, set } = semanticCache({}, { before: [memory()] });
    await set("what is rag", "a", { tags: ["doc:1", "doc:2"] });
    await set("what is hnsw", "b", { tags: ["doc:3"] });
    await cache.invalidateTags(["doc:2"]);
    expect(await cache.get("what's rag")).toBeUndefined();
    expect(await cache.get("what's hnsw")).toBe("b");
    await cache.close();
  });

  test("bad options are refused at construction with every problem named", () => {
    expect(() => chroma({ threshold: 1.5, collection: "x" })).toThrow(/threshold.*\n?.*collection|collection.*threshold/s);
    expect(() => chroma({ url: "not a url" })).toThrow(expect.objectContaining({ code: "E_CONFIG_INVALID" }));
  });

  test("config loading builds the layer, and RAG_SEMANTIC_THRESHOLD sets the threshold", async () => {
    const options = await loadConfig(
      {
        layers: [
          {
            use: "chroma",
            url: server.url,
            collection: "config-test",
            embedder: { type: "local", dimensions: 256 },
            guard: { order: false },
          },
        ],
      },
      { env: { RAG_SEMANTIC_THRESHOLD: "0.85" } },
    );
    const layer = options.layers[0] as CacheLayer & { threshold: number; embedder: { id: string } };
    expect(layer.threshold).toBe(0.85);
    expect(layer.embedder.id).toBe("local-v1-256");
    await expect(loadConfig({ layers: [{ use: "chroma", threshold: 2, guard: "yes" }] }, { env: {} })).rejects.toThrow(
      /layers\.0\.threshold[\s\S]*layers\.0\.guard/,
    );
  });

  test("health reports up while Chroma answers, with the embedder and threshold", async () => {
    const layer = layerFor();
    expect(await layer.health!()).toMatchObject({ state: "up", embedder: "local-v1-512", threshold: 0.6 });
  });
}
