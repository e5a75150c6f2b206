import { afterEach, describe, expect, test } from "bun:test";
import { memoizeEmbedder, setEmbeddingMemoLimit, type Embedder } from "ragcache/chroma";

function counting(id: string) {
  const calls: string[][] = [];
  const embedder: Embedder = {
    id,
    dimensions: 1,
    embed: async (texts) => {
      calls.push([...texts]);
      return texts.map((text) => [text.length]);
    },
  };
  return { embedder: memoizeEmbedder(embedder), calls };
}

afterEach(() => setEmbeddingMemoLimit(10_000));

describe("embedding memo", () => {
  test("embeds each distinct text once, also when repeated within one call", async () => {
    const { embedder, calls } = counting("memo-a");
    expect(await embedder.embed(["x", "yy", "x"])).toEqual([[1], [2], [1]]);
    expect(await embedder.embed(["yy", "zzz"])).toEqual([[2], [3]]);
    expect(calls).toEqual([["x", "yy"], ["zzz"]]);
  });

  test("keys by embedder id: two embedders never share vectors", async () => {
    const one = counting("memo-b");
    const two = counting("memo-c");
    await one.embedder.embed(["same"]);
    await two.embedder.embed(["same"]);
    expect([one.calls.length, two.calls.length]).toEqual([1, 1]);
  });

  test("a failed call is not remembered", async () => {
    let fail = true;
    const embedder = memoizeEmbedder({
      id: "memo-d",
      dimensions: 1,
      embed: async (texts) => (fail ? Promise.reject(new Error("down")) : texts.map(() => [1])),
    });
    await expect(embedder.embed(["t"])).rejects.toThrow("down");
    fail = false;
    expect(await embedder.embed(["t"])).toEqual([[1]]);
  });

  test("the memo is bounded, least recently used first, and 0 switches it off", async () => {
    const { embedder, calls } = counting("memo-e");
    setEmbeddingMemoLimit(2);
    await embedder.embed(["a"]);
    await embedder.embed(["b"]);
    await embedder.embed(["a"]);
    await embedder.embed(["c"]);
    await embedder.embed(["a", "b"]);
    expect(calls).toEqual([["a"], ["b"], ["c"], ["b"]]);
    setEmbeddingMemoLimit(0);
    await embedder.embed(["a"]);
    await embedder.embed(["a"]);
    expect(calls.slice(4)).toEqual([["a"], ["a"]]);
  });
});
