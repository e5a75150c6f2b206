// Pins plugins/chroma/index.ts and lookup.ts on a live Chroma: queued writes, guard reasons, explain(), thresholds per namespace.
import { describe, expect, test } from "bun:test";
import { createCache, loadConfig, type CacheEvents } from "ragcache";
import { chroma, type ChromaLayer, type ChromaOptions } from "ragcache/chroma";
import { chromaForTests } from "../../support/chroma-server.ts";

const server = chromaForTests("lookup");
const layerFor = (options: ChromaOptions = {}) =>
  chroma({ url: server.url, collection: server.collection(), timeout: "5s", ...options });

describe("semantic lookups through a real Chroma", () => {
  test("await cache.set is visible to a paraphrase at once, before the write reached Chroma", async () => {
    const layer = layerFor();
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    await cache.set("How do I reset my password?", "answer");
    expect(await cache.lookup("hi, how can I reset my password")).toMatchObject({ value: "answer", layer: "chroma" });
    await cache.close();
  });

  test("paraphrases are served and near misses refused, whichever of the two was stored", async () => {
    const cases: [string, string, boolean][] = [
      ["what is a WAF", "what is a web application firewall", false],
      ["how do I configure SSO", "how do I configure single sign on", true],
      ["how to set-up a vpn", "how to setup a vpn", true],
      ["how to turn on wifi calling", "how to turn off wifi calling", false],
      ["flights from lima to cusco", "flights from cusco to lima", false],
      ["how to install terraform", "how to uninstall terraform", false],
      ["what is a LLM", "what is a large language model", true],
    ];
    const cache = createCache({ layers: [layerFor()], layerTimeout: "10s" });
    for (const [i, [a, b, served]] of cases.entries()) {
      for (const [direction, stored, asked] of [
        ["ab", a, b],
        ["ba", b, a],
      ] as const) {
        const namespace = `case-${i}-${direction}`;
        await cache.set(stored, stored, { namespace });
        expect({ stored, asked, served: (await cache.get(asked, { namespace })) !== undefined }).toEqual({
          stored,
          asked,
          served,
        });
      }
    }
    await cache.close();
  });

  test("abbreviations and synonyms extend from code, for the guard and the embedded text", async () => {
    const cache = createCache({
      layers: [layerFor({ abbreviations: { waf: "web application firewall" }, synonyms: [["switch", "toggle"]] })],
      layerTimeout: "10s",
    });
    await cache.set("what is a WAF", 1);
    await cache.set("how to switch dark mode", 2);
    expect(await cache.get("what is a web application firewall")).toBe(1);
    expect(await cache.get("how to toggle dark mode")).toBe(2);
    await cache.close();
  });

  test("a refused match explains itself: a guard event and explain() carry the reason", async () => {
    const layer = layerFor();
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    const events: CacheEvents["guard"][] = [];
    cache.on("guard", (event) => events.push(event));
    await cache.set("top 5 restaurants in porto", "five");
    expect(await cache.get("top 10 restaurants in porto")).toBeUndefined();
    expect(events).toMatchObject([
      { layer: "chroma", matchedText: "top 5 restaurants in porto", reason: "number differs: 10 vs 5" },
    ]);
    expect(events[0]!.similarity).toBeGreaterThan(0.6);
    expect(await layer.explain("top 10 restaurants in porto")).toMatchObject({
      refused: [{ matchedText: "top 5 restaurants in porto", reason: "number differs: 10 vs 5" }],
    });
    const served = await layer.explain("top 5 restaurants in porto?");
    expect(served.hit).toMatchObject({ value: "five", matchedText: "top 5 restaurants in porto" });
    await cache.close();
  });

  test("explain names a match below the threshold too", async () => {
    const layer = layerFor({ threshold: 0.99 });
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    await cache.set("how do I export a calendar", 1);
    const { hit, refused } = await layer.explain("how can I export my calendar");
    expect(hit).toBeUndefined();
    expect(refused[0]!.reason).toMatch(/^similarity 0\.\d{3} below threshold 0\.99$/);
    await cache.close();
  });

  test("thresholds per namespace, from code", async () => {
    const layer = layerFor({ thresholds: { answer: 0.999 } });
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    expect([layer.thresholdOf("answer"), layer.thresholdOf("retrieval")]).toEqual([0.999, 0.6]);
    for (const namespace of ["answer", "retrieval"]) await cache.set("how do I rotate an api key", namespace, { namespace });
    expect(await cache.get("how can I rotate an api key", { namespace: "answer" })).toBeUndefined();
    expect(await cache.get("how can I rotate an api key", { namespace: "retrieval" })).toBe("retrieval");
    await cache.close();
  });

  test("a namespace named like an Object member (constructor, toString) gets the layer's threshold, not no threshold", async () => {
    const layer = layerFor({ threshold: 0.99, thresholds: { answer: 0.7 } });
    expect([layer.thresholdOf("constructor"), layer.thresholdOf("toString"), layer.thresholdOf("__proto__")]).toEqual([
      0.99, 0.99, 0.99,
    ]);
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    await cache.set("how do I export a calendar", 1, { namespace: "constructor" });
    const { hit, refused } = await layer.explain("how can I export my calendar", { namespace: "constructor" });
    expect(hit).toBeUndefined();
    expect(refused[0]!.reason).toMatch(/^similarity 0\.\d{3} below threshold 0\.99$/);
    await cache.close();
  });

  test("thresholds, abbreviations and synonyms from config and RAG_SEMANTIC_* env", async () => {
    const { layers } = await loadConfig(
      { layers: [{ use: "chroma", url: server.url, thresholds: { retrieval: 0.5 }, synonyms: [["switch", "toggle"]] }] },
      { env: { RAG_SEMANTIC_THRESHOLDS: '{"answer":0.95}', RAG_SEMANTIC_ABBREVIATIONS: '{"waf":"web application firewall"}' } },
    );
    const layer = layers[0] as ChromaLayer;
    expect([layer.thresholdOf("answer"), layer.thresholdOf("retrieval"), layer.thresholdOf("other")]).toEqual([0.95, 0.6, 0.6]);
    const fromFile = await loadConfig(
      { layers: [{ use: "chroma", url: server.url, thresholds: { retrieval: 0.5 } }] },
      { env: {} },
    );
    expect((fromFile.layers[0] as ChromaLayer).thresholdOf("retrieval")).toBe(0.5);
    await expect(loadConfig({ layers: [{ use: "chroma", thresholds: { answer: 2 } }] }, { env: {} })).rejects.toThrow(
      /layers\.0\.thresholds\.answer/,
    );
  });
});
