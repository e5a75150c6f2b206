// Pins src/rag/index.ts.
import { afterEach, describe, expect, test } from "bun:test";
import { createCache, isRagCacheError, RagCache, type Cache } from "ragcache";
import { memory } from "ragcache/memory";

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

function setup(options: Partial<ConstructorParameters<typeof RagCache>[0]> = {}) {
  const l1 = memory({ name: "l1" });
  const l2 = memory({ name: "l2" });
  const cache = createCache({ layers: [l1, l2] });
  caches.push(cache);
  return { rag: new RagCache({ cache, ...options }), cache, l1, l2 };
}

const docs = (...ids: string[]) => ids.map((id) => ({ id, text: `document ${id}` }));

describe("rag cache", () => {
  test("each stage caches in its own namespace", async () => {
    const { rag, cache } = setup({ answer: { namespace: "answers" } });
    let runs = 0;
    const expand = () => (runs++, ["what is rag", "retrieval augmented generation"]);
    expect((await rag.expand("What is RAG?", expand)).status).toBe("miss");
    const again = await rag.expand("what is  rag?", expand);
    expect(again).toMatchObject({ status: "hit", layer: "l1", value: ["what is rag", "retrieval augmented generation"] });
    expect(runs).toBe(1);
    await rag.retrieve("what is rag?", { k: 2 }, () => docs("1", "2"));
    await rag.answer("what is rag?", ["1", "2"], { model: "m" }, () => "an answer");
    expect(await cache.get("what is rag?", { namespace: "expansion" })).toEqual([
      "what is rag",
      "retrieval augmented generation",
    ]);
    expect(await cache.get("what is rag?", { namespace: "retrieval", params: { k: 2 } })).toEqual(docs("1", "2"));
    expect(await cache.get("what is rag?", { namespace: "answers", params: { model: "m", documents: ["1", "2"] } })).toBe(
      "an answer",
    );
  });

  test("retrieval parameters and model parameters split the cache", async () => {
    const { rag } = setup();
    let retrievals = 0;
    await rag.retrieve("q", { k: 2 }, () => (retrievals++, docs("1")));
    expect((await rag.retrieve("q", { k: 3 }, () => (retrievals++, docs("1")))).status).toBe("miss");
    expect((await rag.retrieve("q", { k: 2 }, () => (retrievals++, docs("1")))).status).toBe("hit");
    expect(retrievals).toBe(2);
    await rag.answer("q", ["1"], { temperature: 0 }, () => "a");
    expect((await rag.answer("q", ["1"], { temperature: 1 }, () => "b")).value).toBe("b");
    expect((await rag.answer("q", ["2"], { temperature: 0 }, () => "c")).value).toBe("c");
  });

  test("the order and repetition of document ids do not change the answer key", async () => {
    const { rag } = setup();
    await rag.answer("q", ["2", "1"], {}, () => "a");
    expect(await rag.answer("q", [1, "2", "1"], {}, () => "b")).toMatchObject({ status: "hit", value: "a" });
  });

  test("invalidateDocuments removes retrievals and answers that used the documents, in every layer", async () => {
    const { rag, l1, l2 } = setup();
    await rag.expand("q1", () => ["q1"]);
    await rag.retrieve("q1", { k: 2 }, () => docs("1", "2"));
    await rag.retrieve("q2", { k: 2 }, () => docs("3"));
    await rag.answer("q1", ["1", "2"], {}, () => "a1");
    await rag.answer("q2", ["3"], {}, () => "a2");
    expect(l1.size).toBe(5);
    expect(l2.size).toBe(5);
    await rag.invalidateDocuments(["2"]);
    expect(l1.size).toBe(3);
    expect(l2.size).toBe(3);
    expect((await rag.retrieve("q1", { k: 2 }, () => docs("1", "4"))).status).toBe("miss");
    expect((await rag.answer("q1", ["1", "2"], {}, () => "new")).value).toBe("new");
    expect((await rag.retrieve("q2", { k: 2 }, () => docs("x"))).status).toBe("hit");
    expect((await rag.expand("q1", () => ["other"])).status).toBe("hit");
  });

  test("a document id too long for a tag (a long URL) is cached and invalidated by its hash", async () => {
    const { rag, l1 } = setup();
    const url = `https://docs.example.com/${"a".repeat(300)}`;
    expect((await rag.retrieve("q", { k: 1 }, () => docs(url))).status).toBe("miss");
    expect((await rag.answer("q", [url], {}, () => "a")).status).toBe("miss");
    expect(l1.size).toBe(2);
    await rag.invalidateDocuments([url]);
    expect(l1.size).toBe(0);
  });

  test("a custom documentIds reads ids from any result shape", async () => {
    const { rag, l1 } = setup({ documentIds: (result) => (result as { hits: { doc: number }[] }).hits.map((h) => h.doc) });
    await rag.retrieve("q", {}, () => ({ hits: [{ doc: 7 }] }));
    await rag.invalidateDocuments([7]);
    expect(l1.size).toBe(0);
  });

  test("each stage has its own TTL", async () => {
    let now = 0;
    const cache = createCache({ layers: [memory()], now: () => now });
    caches.push(cache);
    const rag = new RagCache({ cache, expansion: { ttl: "1h" }, answer: { ttl: "1m" } });
    await rag.expand("q", () => ["q"]);
    await rag.answer("q", [], {}, () => "a");
    now = 120_000;
    expect((await rag.expand("q", () => ["x"])).status).toBe("hit");
    expect((await rag.answer("q", [], {}, () => "b")).status).toBe("miss");
  });

  test("concurrent identical answers run the model once", async () => {
    const { rag } = setup();
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => rag.answer("q", ["1"], {}, async () => (runs++, await Bun.sleep(10), "a"))),
    );
    expect(runs).toBe(1);
    expect(results.every((r) => r.value === "a")).toBe(true);
  });

  test("bad stage options fail at construction with a coded error", () => {
    const cache = createCache({ layers: [memory()] });
    caches.push(cache);
    for (const options of [{ answer: { namespace: "no spaces" } }, { retrieval: { ttl: "soon" } }]) {
      let thrown: unknown;
      try {
        new RagCache({ cache, ...options });
      } catch (error) {
        thrown = error;
      }
      expect(isRagCacheError(thrown)).toBe(true);
    }
  });
});
