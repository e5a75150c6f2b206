// Pins src/langchain/index.ts: the LangChain.js BaseCache with ChatOpenAI, against the loopback upstream.
import { afterAll, describe, expect, test } from "bun:test";
import { ChatOpenAI } from "@langchain/openai";
import { createCache } from "ragcache";
import { RagCacheLangChain } from "ragcache/langchain";
import { memory } from "ragcache/memory";
import { chaos } from "ragcache/testing";
import { answerOf, startTestUpstream } from "../../support/openai-upstream.ts";

const upstream = startTestUpstream();
afterAll(() => upstream.stop());

function chatModel(cache: ReturnType<typeof createCache>, extra: Record<string, unknown> = {}) {
  return new ChatOpenAI({
    model: "test-model",
    temperature: 0,
    apiKey: "sk-test",
    configuration: { baseURL: upstream.url },
    maxRetries: 0,
    cache: new RagCacheLangChain({ cache }),
    ...extra,
  });
}

describe("LangChain cache", () => {
  test("a repeated invoke is answered from the chain, as an AIMessage", async () => {
    upstream.reset();
    const cache = createCache({ layers: [memory()] });
    const model = chatModel(cache);
    const first = await model.invoke("what is rag?");
    const second = await model.invoke("what is rag?");
    expect(second.content).toBe(first.content);
    expect(second.content).toBe(answerOf({ model: "test-model", messages: [{ content: "what is rag?" }] }));
    expect(second.constructor.name).toBe("AIMessage");
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
    await chatModel(cache, { model: "other-model" }).invoke("what is rag?");
    expect(upstream.calls["/v1/chat/completions"]).toBe(2);
    await cache.close();
  });

  test("a failing chain is a miss, not an error", async () => {
    upstream.reset();
    const failing = chaos(memory());
    failing.alwaysThrow();
    const cache = createCache({ layers: [failing] });
    const answer = await chatModel(cache).invoke("still answers");
    expect(answer.content).toBe(answerOf({ model: "test-model", messages: [{ content: "still answers" }] }));
    await cache.close();
  });
});
