// Pins plugins/chroma/embedders/shared.ts: embeddings shared through the chain's exact layers, and the chroma option that turns it on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCache, createKey, nextStamp, type CacheLayer, type LayerContext } from "ragcache";
import { chroma, EMBEDDINGS_NAMESPACE, shareEmbeddings, type Embedder } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { chaos, testContext } from "ragcache/testing";
import { startChroma, type ChromaServer } from "../../../support/chroma-server.ts";
import { startRedis, type RedisServer } from "../../../support/redis-server.ts";

let server: RedisServer;
let chromaServer: ChromaServer;
const closers: (() => unknown)[] = [];
beforeAll(async () => {
  [server, chromaServer] = await Promise.all([startRedis(), startChroma()]);
});
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await Promise.all([server.stop(), chromaServer.stop()]);
});

/** An embedder that counts the texts it is asked for: a vector of (length, first char code, 1). */
function counting(id = "count-3") {
  const texts: string[] = [];
  const embedder: Embedder = {
    id,
    dimensions: 3,
    embed: async (batch) => (texts.push(...batch), batch.map((text) => [text.length, text.charCodeAt(0), 1])),
  };
  return { embedder, texts };
}

/** Numbers that JSON or Float32 would not give back exactly: -0, the extremes, subnormals, 17 significant digits. */
const AWKWARD = [
  0.1,
  -0,
  1e-300,
  5e-324,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  2.2250738585072014e-308,
  2.225073858507201e-308,
  0.30000000000000004,
  1.0000000000000002,
  123456789.12345679,
  -1 / 3,
];

/** An embedder that answers every text with a copy of `vector`, counted. */
function constant(vector: readonly number[]) {
  const texts: string[] = [];
  const embedder: Embedder = {
    id: "constant",
    dimensions: vector.length,
    embed: async (batch) => (texts.push(...batch), batch.map(() => [...vector])),
  };
  return { embedder, texts };
}

/** One process: its exact layers over the shared Redis, attached as a chain would, and a counted, shared embedder. */
function processOver(prefix: string, { embedder, texts } = counting()) {
  const layers = [memory(), redis({ url: server.url, prefix, log: () => {} })];
  const context = { ...testContext(), layers };
  for (const layer of layers) layer.attach?.(context);
  closers.push(() => Promise.all(layers.map((layer) => layer.close?.())));
  const shared = shareEmbeddings(embedder, () => context, 60_000);
  return { context, layers, texts, shared, settled: () => Promise.all(context.tracked) };
}

/** Stores `value` where the counting embedder's vector of `text` would be, as another writer might have. */
async function storeAs(layer: CacheLayer, text: string, value: unknown): Promise<void> {
  const key = createKey(text, { namespace: EMBEDDINGS_NAMESPACE, params: { embedder: "count-3", dimensions: 3 } });
  const now = Date.now();
  await layer.set(key, { value, createdAt: now, expiresAt: now + 60_000, stamp: nextStamp(), digest: key.digest, size: 40 });
}

describe("shared embeddings", () => {
  test("a text embedded in one process is read from Redis by another, which embeds nothing and keeps it in memory", async () => {
    const prefix = `shared-${crypto.randomUUID()}:`;
    const one = processOver(prefix);
    expect(await one.shared.embed(["what is rag?", "what is a vector?"])).toEqual([
      [12, 119, 1],
      [17, 119, 1],
    ]);
    expect(one.texts).toEqual(["what is rag?", "what is a vector?"]);
    await one.settled();

    const two = processOver(prefix);
    expect(await two.shared.embed(["what is rag?", "new text"])).toEqual([
      [12, 119, 1],
      [8, 110, 1],
    ]);
    expect(two.texts).toEqual(["new text"]);
    expect(two.shared.counts).toEqual({ hits: 1, misses: 1, embedded: 1 });
    await two.settled();
    expect(two.layers[0]!.stats?.()).toMatchObject({ entries: 2 });
  });

  test("a vector comes back exactly, from memory and from Redis, each time as a new array of the caller's", async () => {
    const prefix = `exact-${crypto.randomUUID()}:`;
    const one = processOver(prefix, constant(AWKWARD));
    await one.shared.embed(["awkward"]);
    await one.settled();
    const [fromMemory] = await one.shared.embed(["awkward"]);
    expect(fromMemory).toEqual(AWKWARD);
    fromMemory!.fill(7);
    const [again] = await one.shared.embed(["awkward"]);
    const two = processOver(prefix, constant(AWKWARD));
    const [fromRedis] = await two.shared.embed(["awkward"]);
    expect([again, fromRedis]).toEqual([AWKWARD, AWKWARD]);
    expect([one.texts, two.texts]).toEqual([["awkward"], []]);
    expect([again, fromRedis].map(Object.isFrozen)).toEqual([false, false]);
  });

  test("a vector stored as an array of numbers, as earlier versions did, is still read", async () => {
    const prefix = `array-${crypto.randomUUID()}:`;
    const { layers } = processOver(prefix);
    const value = [0.5, -0.25, 2];
    await storeAs(layers[1]!, "stored before", value);
    const later = processOver(prefix);
    expect(await later.shared.embed(["stored before"])).toEqual([value]);
    expect(later.texts).toEqual([]);
  });

  test("a stored value that is not a whole vector of the embedder's (cut short, empty, foreign text, a short array) is a miss", async () => {
    const prefix = `foreign-${crypto.randomUUID()}:`;
    const { layers } = processOver(prefix);
    const whole = Buffer.from(new Float64Array([3, 115, 1]).buffer).toString("base64");
    const foreign = [whole.slice(0, 20), whole.slice(0, 21) + "=", "", "this is not a vector at all, someone else", [1, 2]];
    const texts = foreign.map((_, i) => `text ${i}`);
    for (const [i, value] of foreign.entries()) await storeAs(layers[1]!, texts[i]!, value);
    const later = processOver(prefix);
    const vectors = await later.shared.embed(texts);
    expect(later.texts).toEqual(texts);
    expect(vectors).toEqual(texts.map((text) => [text.length, text.charCodeAt(0), 1]));
  });

  test("vectors are keyed by the exact text, the embedder id and its dimensions", async () => {
    const { context } = processOver(`keys-${crypto.randomUUID()}:`);
    const a = counting("model-a");
    const sharedA = shareEmbeddings(a.embedder, () => context, 60_000);
    await sharedA.embed(["What is RAG?"]);
    await sharedA.embed(["what is rag?"]);
    const b = counting("model-b");
    await shareEmbeddings(b.embedder, () => context, 60_000).embed(["what is rag?"]);
    expect([a.texts, b.texts]).toEqual([["What is RAG?", "what is rag?"], ["what is rag?"]]);
  });

  test("semantic layers are never asked, and a failing layer is a miss plus an error event", async () => {
    const semanticLayer = { ...memory({ name: "semantic" }), semantic: true };
    const broken = chaos(memory({ name: "broken" }));
    broken.alwaysThrow();
    const context = testContext();
    const withLayers: LayerContext = { ...context, layers: [broken, semanticLayer] };
    const { embedder, texts } = counting();
    const shared = shareEmbeddings(embedder, () => withLayers, 60_000);
    expect(await shared.embed(["q"])).toEqual([[1, 113, 1]]);
    await Promise.all(context.tracked);
    expect(texts).toEqual(["q"]);
    expect(context.events.map(({ payload }) => (payload as { operation: string }).operation)).toContain("embeddings get");
    expect(semanticLayer.stats?.()).toMatchObject({ entries: 0 });
  });

  test("chroma({ sharedEmbeddings: true }) embeds each question once for every chain over one Redis, and counts it", async () => {
    const prefix = `chroma-shared-${crypto.randomUUID()}:`;
    const chains = [0, 1].map(() => {
      const { embedder, texts } = counting();
      const layer = chroma({
        url: chromaServer.url,
        collection: `shared-${crypto.randomUUID()}`,
        embedder,
        sharedEmbeddings: true,
      });
      const cache = createCache({
        layers: [memory(), redis({ url: server.url, prefix, log: () => {} }), layer],
        layerTimeout: "10s",
      });
      closers.push(() => cache.close());
      return { cache, layer, texts };
    });
    await chains[0]!.cache.lookup("how do I reset my password?");
    await Bun.sleep(50);
    await chains[1]!.cache.lookup("how do I reset my password?");
    expect(chains.map(({ texts }) => texts.length)).toEqual([1, 0]);
    expect(chains[1]!.layer.stats?.()).toMatchObject({ sharedEmbeddings: { hits: 1, misses: 0, embedded: 0 } });
  });
});
