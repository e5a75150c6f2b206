import { describe, expect, test } from "bun:test";
import { numberOf, stem, words } from "../../../../plugins/chroma/embedders/text.ts";

describe("text analysis", () => {
  test("words opens contractions and keeps letters and digits of any script", () => {
    expect(words("Isn't it what's NEEDED? Won't, can't, don't")).toEqual([
      "is",
      "not",
      "it",
      "what",
      "needed",
      "will",
      "not",
      "can",
      "not",
      "do",
      "not",
    ]);
    expect(words("retrieval-augmented généra\u00adtion 2024 東京")).toEqual([
      "retrieval",
      "augmented",
      "génération",
      "2024",
      "東京",
    ]);
  });

  test("stem merges plurals and -ing/-ed forms without mangling short or listed words", () => {
    expect(["databases", "queries", "caching", "cache", "configured", "speed", "string", "embed", "is"].map(stem)).toEqual([
      "databas",
      "query",
      "cach",
      "cach",
      "configur",
      "speed",
      "string",
      "embed",
      "is",
    ]);
  });

  test("numberOf reads digits, number words and ordinals", () => {
    expect(["007", "five", "fifth", "twenty", "hundred", "dozen", "fiver"].map(numberOf)).toEqual([
      "7",
      "5",
      "5",
      "20",
      "100",
      "12",
      undefined,
    ]);
  });
});
