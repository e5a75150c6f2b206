// Pins src/openai/proxy.ts, plan.ts and forward.ts: keys, bypasses, scopes and pass-through, through the official openai SDK.
import { describe, expect, test } from "bun:test";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { openAIProxy } from "ragcache/openai";
import { answerOf, startTestUpstream } from "../../support/openai-upstream.ts";
import { gatewaysStoppedAfterEach } from "../../support/gateway.ts";

const gateway = gatewaysStoppedAfterEach();

const question = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "test-model",
  temperature: 0,
  messages: [
    { role: "system" as const, content: "You answer briefly." },
    { role: "user" as const, content },
  ],
  ...extra,
});

describe("openai proxy", () => {
  test("a repeated chat completion is a HIT with the upstream's answer, and the upstream is called once", async () => {
    const { client, upstream } = await gateway();
    const first = await client.chat.completions.create(question("what is rag?")).withResponse();
    const second = await client.chat.completions.create(question("what is rag?")).withResponse();
    expect(first.response.headers.get("x-ragcache")).toBe("MISS");
    expect(second.response.headers.get("x-ragcache")).toBe("HIT");
    expect(second.data.choices[0]!.message.content).toBe(answerOf(question("what is rag?")));
    expect(second.data.usage).toEqual(first.data.usage);
    expect(second.data.id).not.toBe(first.data.id);
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("20 identical requests at once make one upstream call", async () => {
    const { client, upstream } = await gateway();
    upstream.behave({ headerDelayMs: 30 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.chat.completions.create(question("at once"))));
    expect(new Set(answers.map((answer) => answer.choices[0]!.message.content)).size).toBe(1);
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("every parameter that changes the output makes its own entry", async () => {
    const { client, upstream } = await gateway();
    const variants = [
      {},
      { model: "other-model" },
      { top_p: 0.5 },
      { seed: 7 },
      { max_tokens: 20 },
      { stop: ["\n"] },
      { response_format: { type: "json_object" as const } },
      { tools: [{ type: "function" as const, function: { name: "search", parameters: { type: "object" } } }] },
    ];
    for (const variant of variants) await client.chat.completions.create(question("what is rag?", variant));
    expect(upstream.calls["/v1/chat/completions"]).toBe(variants.length);
    const earlierTurn = question("what is rag?");
    earlierTurn.messages.splice(1, 0, { role: "user", content: "hello" }, { role: "assistant" as "user", content: "hi" });
    await client.chat.completions.create(earlierTurn);
    expect(upstream.calls["/v1/chat/completions"]).toBe(variants.length + 1);
  });

  test("the message list is normalized: case and spacing of the text do not make a new entry", async () => {
    const { client, upstream } = await gateway();
    await client.chat.completions.create(question("What is  RAG?"));
    const again = await client.chat.completions.create(question("what is rag?")).withResponse();
    expect(again.response.headers.get("x-ragcache")).toBe("HIT");
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("sampling, several choices and log-probabilities pass through uncached", async () => {
    const { client, upstream } = await gateway();
    for (const extra of [{ temperature: 0.7 }, { n: 2 }, { logprobs: true }]) {
      const first = await client.chat.completions.create(question("q", extra)).withResponse();
      await client.chat.completions.create(question("q", extra));
      expect(first.response.headers.get("x-ragcache")).toBe("BYPASS");
    }
    expect(upstream.calls["/v1/chat/completions"]).toBe(6);
  });

  test("temperature > 0 is cached when the config says so", async () => {
    const { client, upstream } = await gateway({ upstream: { cacheSampled: true } });
    await client.chat.completions.create(question("q", { temperature: 0.7 }));
    const again = await client.chat.completions.create(question("q", { temperature: 0.7 })).withResponse();
    expect(again.response.headers.get("x-ragcache")).toBe("HIT");
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("entries are scoped to the caller's API key unless the scope is shared", async () => {
    const scoped = await gateway();
    await scoped.clientWithKey("sk-alice").chat.completions.create(question("q"));
    const bob = await scoped.clientWithKey("sk-bob").chat.completions.create(question("q")).withResponse();
    expect(bob.response.headers.get("x-ragcache")).toBe("MISS");
    const shared = await gateway({ upstream: { scope: "shared" } });
    await shared.clientWithKey("sk-alice").chat.completions.create(question("q"));
    const bobShared = await shared.clientWithKey("sk-bob").chat.completions.create(question("q")).withResponse();
    expect(bobShared.response.headers.get("x-ragcache")).toBe("HIT");
  });

  test("the scope is a digest of the key: the key itself is stored nowhere", async () => {
    const { client, cache } = await gateway();
    const keys: string[] = [];
    cache.on("set", ({ key }) => keys.push(JSON.stringify(key)));
    await client.chat.completions.create(question("q"));
    await cache.close();
    expect(keys.length).toBe(1);
    expect(keys[0]).not.toContain("sk-test-caller");
  });

  test("Cache-Control: no-cache refreshes the entry, no-store bypasses the cache", async () => {
    const { client, upstream } = await gateway();
    await client.chat.completions.create(question("q"));
    const refreshed = await client.chat.completions
      .create(question("q"), { headers: { "cache-control": "no-cache" } })
      .withResponse();
    expect(refreshed.response.headers.get("x-ragcache")).toBe("MISS");
    const bypassed = await client.chat.completions
      .create(question("q"), { headers: { "cache-control": "no-store" } })
      .withResponse();
    expect(bypassed.response.headers.get("x-ragcache")).toBe("BYPASS");
    expect(upstream.calls["/v1/chat/completions"]).toBe(3);
  });

  test("legacy completions are cached by their exact prompt", async () => {
    const { client, upstream } = await gateway();
    const first = await client.completions.create({ model: "test-model", prompt: "def f():\n    ", temperature: 0 });
    const hit = await client.completions.create({ model: "test-model", prompt: "def f():\n    ", temperature: 0 }).withResponse();
    await client.completions.create({ model: "test-model", prompt: "def f(): ", temperature: 0 });
    expect(hit.response.headers.get("x-ragcache")).toBe("HIT");
    expect(hit.data.choices[0]!.text).toBe(first.choices[0]!.text);
    expect(upstream.calls["/v1/completions"]).toBe(2);
  });

  test("other /v1 requests are forwarded untouched, with the configured key in place of the caller's", async () => {
    const { client, upstream } = await gateway({
      upstream: { apiKeyEnv: "TEST_UPSTREAM_KEY" },
      env: { TEST_UPSTREAM_KEY: "sk-upstream" },
    });
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["test-model"]);
    expect(upstream.lastHeaders?.get("authorization")).toBe("Bearer sk-upstream");
    expect(upstream.calls["/v1/models"]).toBe(1);
  });

  test("a body above maxBodyBytes is refused with an OpenAI-style 413 before it reaches the upstream", async () => {
    const upstream = startTestUpstream();
    const cache = createCache({ layers: [memory()] });
    const proxy = openAIProxy({ cache, upstream: { baseURL: upstream.url }, maxBodyBytes: 1_000 });
    const response = await proxy.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(question("x".repeat(2_000))),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("larger than 1000 bytes");
    expect(upstream.calls["/v1/chat/completions"]).toBeUndefined();
    await cache.close();
    await upstream.stop();
  });

  test("options are checked at construction: a bad base URL, or an API key variable that is not set", async () => {
    const cache = createCache({ layers: [memory()] });
    expect(() => openAIProxy({ cache, upstream: { baseURL: "not a url" } })).toThrow(/E_CONFIG_INVALID|upstream\.baseURL/);
    expect(() => openAIProxy({ cache, upstream: { baseURL: "http://127.0.0.1:1/v1", apiKeyEnv: "NOPE" }, env: {} })).toThrow(
      "upstream.apiKeyEnv names NOPE, which is not set",
    );
    await cache.close();
  });

  test("the last message's other fields count: the same text from another named user is another entry", async () => {
    const { client, upstream } = await gateway();
    await client.chat.completions.create({
      model: "test-model",
      temperature: 0,
      messages: [{ role: "user", content: "hi", name: "alice" }],
    });
    await client.chat.completions.create({
      model: "test-model",
      temperature: 0,
      messages: [{ role: "user", content: "hi", name: "bob" }],
    });
    expect(upstream.calls["/v1/chat/completions"]).toBe(2);
  });

  test("a request the chain cannot key (parameters nested too deep) passes through instead of failing", async () => {
    const { client, upstream } = await gateway();
    let nested: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 80; i++) nested = { type: "object", properties: { inner: nested } };
    const tools = [{ type: "function" as const, function: { name: "deep", parameters: nested } }];
    const answer = await client.chat.completions.create(question("q", { tools })).withResponse();
    expect(answer.response.headers.get("x-ragcache")).toBe("BYPASS");
    expect(answer.response.headers.get("x-ragcache-reason")).toStartWith("not keyable");
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("a body that is not a JSON object is refused with an OpenAI-style 400", async () => {
    const { url } = await gateway();
    const response = await fetch(`${url}/chat/completions`, {
      method: "POST",
      body: "[1]",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("JSON object");
  });
});
