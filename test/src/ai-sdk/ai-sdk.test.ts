// Pins src/ai-sdk/index.ts: the AI SDK middleware with generateText and streamText, against the loopback upstream.
import { afterAll, describe, expect, test } from "bun:test";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText, wrapLanguageModel } from "ai";
import { createCache } from "ragcache";
import { ragcacheMiddleware } from "ragcache/ai-sdk";
import { memory } from "ragcache/memory";
import { answerOf, startTestUpstream } from "../../support/openai-upstream.ts";

const upstream = startTestUpstream();
afterAll(() => upstream.stop());

function model() {
  const cache = createCache({ layers: [memory()] });
  const provider = createOpenAI({ baseURL: upstream.url, apiKey: "sk-test" });
  return { cache, model: wrapLanguageModel({ model: provider.chat("test-model"), middleware: ragcacheMiddleware({ cache }) }) };
}

describe("AI SDK middleware", () => {
  test("generateText asks the model once for a repeated call", async () => {
    upstream.reset();
    const { cache, model: wrapped } = model();
    const first = await generateText({ model: wrapped, prompt: "what is rag?", temperature: 0 });
    const second = await generateText({ model: wrapped, prompt: "what is rag?", temperature: 0 });
    expect(second.text).toBe(first.text);
    expect(second.text).toBe(answerOf({ model: "test-model", messages: [{ content: "what is rag?" }] }));
    expect(second.usage.inputTokens).toBe(first.usage.inputTokens);
    expect(second.response.timestamp).toBeInstanceOf(Date);
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
    await generateText({ model: wrapped, prompt: "what is rag?", temperature: 0, maxOutputTokens: 10 });
    expect(upstream.calls["/v1/chat/completions"]).toBe(2);
    await cache.close();
  });

  test("streamText replays a finished stream part by part", async () => {
    upstream.reset();
    const { cache, model: wrapped } = model();
    const read = async () => {
      const result = streamText({ model: wrapped, prompt: "stream it", temperature: 0 });
      const pieces: string[] = [];
      for await (const piece of result.textStream) pieces.push(piece);
      return { pieces, finishReason: await result.finishReason };
    };
    const first = await read();
    await Bun.sleep(10);
    const second = await read();
    expect(second.pieces).toEqual(first.pieces);
    expect(second.pieces.length).toBeGreaterThan(3);
    expect(second.finishReason).toBe("stop");
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
    await cache.close();
  });

  test("sampled calls and broken streams are not cached", async () => {
    upstream.reset();
    const { cache, model: wrapped } = model();
    await generateText({ model: wrapped, prompt: "sample", temperature: 0.9, maxRetries: 0 });
    await generateText({ model: wrapped, prompt: "sample", temperature: 0.9, maxRetries: 0 });
    expect(upstream.calls["/v1/chat/completions"]).toBe(2);
    upstream.behave({ status: 500 });
    const failing = streamText({ model: wrapped, prompt: "broken", temperature: 0, maxRetries: 0, onError: () => {} });
    for await (const _ of failing.textStream) continue;
    upstream.behave({});
    for await (const _ of streamText({ model: wrapped, prompt: "broken", temperature: 0 }).textStream) continue;
    expect(upstream.calls["/v1/chat/completions"]).toBe(4);
    await cache.close();
  });
});
