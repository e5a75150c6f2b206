// Pins the semantic path of src/openai/proxy.ts and plan.ts on a live Chroma: the last user message matched by meaning, all else exact.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chroma } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import type { UpstreamInput } from "ragcache/openai";
import { startChroma, type ChromaServer } from "../../support/chroma-server.ts";
import { gatewaysStoppedAfterEach } from "../../support/gateway.ts";

let server: ChromaServer;
let collections = 0;
beforeAll(async () => {
  server = await startChroma();
});
afterAll(() => server.stop());

const startGateway = gatewaysStoppedAfterEach();

/** A gateway whose chain is memory + a chroma layer that embeds only the proxy's chat questions. */
async function gateway(upstream: Partial<UpstreamInput> = {}) {
  const layer = chroma({
    url: server.url,
    collection: `gateway-${process.pid}-${++collections}`,
    timeout: "5s",
    namespaces: ["openai.chat"],
  });
  const started = await startGateway({ layers: [memory(), layer], upstream });
  /** Asks, then waits until the answer reached Chroma (its writes go behind). */
  const ask = async (content: string, extra: Record<string, unknown> = {}) => {
    const answered = await started.client.chat.completions.create(chat(content, extra)).withResponse();
    await layer.flush();
    return answered;
  };
  return { ...started, ask };
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "test-model",
  temperature: 0,
  messages: [
    { role: "system" as const, content: "You are the help desk of Example Corp." },
    { role: "user" as const, content },
  ],
  ...extra,
});

describe("openai proxy, semantic", () => {
  test("a paraphrase of the last user message is a SEMANTIC hit with its similarity", async () => {
    const { ask, upstream } = await gateway();
    const first = await ask("How do I reset my password?");
    const paraphrase = await ask("How can I reset my password?");
    expect(paraphrase.response.headers.get("x-ragcache")).toBe("SEMANTIC");
    expect(Number(paraphrase.response.headers.get("x-ragcache-similarity"))).toBeGreaterThan(0.8);
    expect(paraphrase.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("a paraphrase under another system prompt, model or parameter is a miss", async () => {
    const { ask, upstream } = await gateway();
    await ask("How do I reset my password?");
    const otherSystem = chat("How can I reset my password?");
    otherSystem.messages[0]!.content = "You are a pirate.";
    const results = [
      await ask("How can I reset my password?", { messages: otherSystem.messages }),
      await ask("How can I reset my password?", { model: "other-model" }),
      await ask("How can I reset my password?", { max_tokens: 5 }),
    ];
    expect(results.map((result) => result.response.headers.get("x-ragcache"))).toEqual(["MISS", "MISS", "MISS"]);
    expect(upstream.calls["/v1/chat/completions"]).toBe(4);
  });

  test("the guard keeps a close question with another meaning out", async () => {
    const { ask } = await gateway();
    await ask("How do I reset my password?");
    const negated = await ask("How do I not reset my password?");
    expect(negated.response.headers.get("x-ragcache")).toBe("MISS");
  });

  test("with semantic off, only the exact question hits", async () => {
    const { ask } = await gateway({ semantic: false });
    await ask("How do I reset my password?");
    const paraphrase = await ask("How can I reset my password?");
    expect(paraphrase.response.headers.get("x-ragcache")).toBe("MISS");
    const exact = await ask("How do I reset my password?");
    expect(exact.response.headers.get("x-ragcache")).toBe("HIT");
  });
});
