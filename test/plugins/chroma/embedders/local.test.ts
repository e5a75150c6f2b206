import { describe, expect, test } from "bun:test";
import { normalizeText } from "ragcache";
import { localEmbedder } from "ragcache/chroma";

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe("local embedder", () => {
  test("returns one unit vector of the configured length per text, deterministically", async () => {
    const embedder = localEmbedder({ dimensions: 64 });
    const [a, b, again] = await embedder.embed(["what is rag", "", "what is rag"]);
    expect(a).toHaveLength(64);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 10);
    expect(Math.hypot(...b!)).toBeCloseTo(1, 10);
    expect(again).toEqual(a!);
    expect(embedder.id).toBe("local-v1-64");
    expect(embedder.dimensions).toBe(64);
  });

  test("paraphrases are closer than unrelated questions", async () => {
    const embedder = localEmbedder();
    const texts = ["How do I reset my password?", "How can I reset my password", "How do I bake sourdough bread?"].map(
      normalizeText,
    );
    const [a, b, c] = await embedder.embed(texts);
    expect(cosine(a!, b!)).toBeGreaterThan(embedder.threshold!);
    expect(cosine(a!, c!)).toBeLessThan(0.3);
  });

  test("a different setting is a different id, so vectors of two settings never meet", () => {
    expect(localEmbedder({ stopWordWeight: 0.5 }).id).not.toBe(localEmbedder().id);
  });

  test("bad options are refused with a config error", () => {
    expect(() => localEmbedder({ dimensions: 3 })).toThrow(expect.objectContaining({ code: "E_CONFIG_INVALID" }));
    expect(() => localEmbedder({ stopWordWeight: 2 })).toThrow(/stopWordWeight/);
  });
});
