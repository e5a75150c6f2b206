import { describe, expect, test } from "bun:test";
import { TOPICS, queryStream } from "../../../bench/lib/query-stream.ts";

const options = { requests: 2000, paraphraseShare: 0.3, zipfS: 1, seed: 7 };

describe("bench query stream", () => {
  test("one seed gives one stream", () => {
    expect(queryStream(options).requests).toEqual(queryStream(options).requests);
  });

  test("about the asked share of requests is a paraphrase of its topic", () => {
    const { requests } = queryStream(options);
    const share = requests.filter((r) => r.paraphrase).length / requests.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    for (const r of requests.filter((r) => r.paraphrase).slice(0, 50)) expect(TOPICS[r.topic]!.paraphrases).toContain(r.text);
  });

  test("canonical requests differ from their question only in case and spacing", () => {
    const normalize = (text: string) => text.toLowerCase().replace(/\s+/g, " ").trim();
    for (const r of queryStream(options)
      .requests.filter((r) => !r.paraphrase)
      .slice(0, 200)) {
      expect(normalize(r.text)).toBe(normalize(TOPICS[r.topic]!.canonical));
    }
  });

  test("repeat rates: exact repeats are a subset of topic repeats", () => {
    const stream = queryStream(options);
    expect(stream.exactRepeatRate).toBeGreaterThan(0.3);
    expect(stream.topicRepeatRate).toBeGreaterThan(stream.exactRepeatRate);
    expect(stream.topicRepeatRate).toBeLessThan(1);
  });
});
