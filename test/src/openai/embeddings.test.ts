// Pins src/openai/embeddings.ts: embeddings cached per input string, through the openai SDK.
import { describe, expect, test } from "bun:test";
import type { CacheKey } from "ragcache";
import { vectorOf } from "../../support/openai-upstream.ts";
import { gatewaysStoppedAfterEach } from "../../support/gateway.ts";

const gateway = gatewaysStoppedAfterEach();

const texts = Array.from({ length: 10 }, (_, i) => `document number ${i}`);

/** Numbers as an upstream may write them: -0, the extremes, subnormals, 17 significant digits, more digits than a double holds. */
const AWKWARD_JSON =
  "[0.1,-0.0,1e-300,5e-324,1.7976931348623157e308,-2.2250738585072014e-308,2.225073858507201e-308," +
  "0.30000000000000004,1.0000000000000002,123456789.12345679,0.10000000000000000555]";

/** An upstream that answers every request with one embedding, written as `vectorJson` says. */
function rawUpstream(vectorJson: string) {
  const body = `{"object":"list","data":[{"object":"embedding","index":0,"embedding":${vectorJson}}],"model":"embed","usage":{"prompt_tokens":1,"total_tokens":1}}`;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => new Response(body, { headers: { "content-type": "application/json" } }),
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
}

/** A gateway that has cached `input`'s embedding once, the key it stored it under, and how to ask again. */
async function askedOnce(input: string) {
  const { client, cache, upstream } = await gateway();
  const keys: CacheKey[] = [];
  cache.on("set", ({ key }) => keys.push(key));
  const ask = () => client.embeddings.create({ model: "embed", input, encoding_format: "float" });
  await ask();
  return { ask, cache, key: keys[0]!, upstream };
}

describe("openai proxy embeddings", () => {
  test("a batch of 10 inputs with 3 cached asks the upstream for the other 7, and answers in the caller's order", async () => {
    const { client, upstream, proxy } = await gateway();
    await client.embeddings.create({ model: "embed", input: [texts[2]!, texts[5]!, texts[7]!], encoding_format: "float" });
    const batch = await client.embeddings.create({ model: "embed", input: texts, encoding_format: "float" }).withResponse();
    expect(upstream.calls["/v1/embeddings"]).toBe(2);
    expect((upstream.bodies.at(-1)!.input as string[]).length).toBe(7);
    expect(batch.response.headers.get("x-ragcache")).toBe("MISS");
    expect(batch.response.headers.get("x-ragcache-cached")).toBe("3/10");
    expect(batch.data.data.map((item) => item.index)).toEqual(texts.map((_, i) => i));
    expect(batch.data.data.map((item) => item.embedding)).toEqual(texts.map((text) => vectorOf(text)));
    const again = await client.embeddings.create({ model: "embed", input: texts, encoding_format: "float" }).withResponse();
    expect(again.response.headers.get("x-ragcache")).toBe("HIT");
    expect(again.data.usage.prompt_tokens).toBe(batch.data.usage.prompt_tokens);
    expect(upstream.calls["/v1/embeddings"]).toBe(2);
    const saved = proxy.stats().embed!;
    expect(saved.requests).toMatchObject({ hit: 1, miss: 2 });
    const partial = [2, 5, 7].reduce((total, i) => total + texts[i]!.split(" ").length, 0);
    expect(saved.savedPromptTokens).toBe(partial + again.data.usage.prompt_tokens);
  });

  test("inputs are cached by their exact text, model and dimensions", async () => {
    const { client, upstream } = await gateway();
    await client.embeddings.create({ model: "embed", input: "Apple", encoding_format: "float" });
    await client.embeddings.create({ model: "embed", input: "apple", encoding_format: "float" });
    await client.embeddings.create({ model: "other", input: "Apple", encoding_format: "float" });
    const short = await client.embeddings.create({ model: "embed", input: "Apple", dimensions: 4, encoding_format: "float" });
    expect(short.data[0]!.embedding).toEqual(vectorOf("Apple", 4));
    expect(upstream.calls["/v1/embeddings"]).toBe(4);
  });

  test("concurrent batches share the inputs one of them is already asking for", async () => {
    const { client, upstream } = await gateway();
    upstream.behave({ headerDelayMs: 40 });
    const first = client.embeddings.create({ model: "embed", input: ["a", "b", "c"], encoding_format: "float" });
    await Bun.sleep(10);
    const second = await client.embeddings.create({ model: "embed", input: ["b", "c", "d"], encoding_format: "float" });
    await first;
    expect(upstream.bodies.map((body) => body.input)).toEqual([["a", "b", "c"], ["d"]]);
    expect(second.data.map((item) => item.embedding)).toEqual([vectorOf("b"), vectorOf("c"), vectorOf("d")]);
  });

  test("the same input twice in one batch is asked for once", async () => {
    const { client, upstream } = await gateway();
    const answer = await client.embeddings.create({ model: "embed", input: ["a", "b", "a"], encoding_format: "float" });
    expect(upstream.bodies.at(-1)!.input).toEqual(["a", "b"]);
    expect(answer.data.map((item) => item.embedding)).toEqual([vectorOf("a"), vectorOf("b"), vectorOf("a")]);
  });

  test("the SDK's default base64 encoding round-trips through the cache", async () => {
    const { client, upstream } = await gateway();
    const first = await client.embeddings.create({ model: "embed", input: "base64 please" });
    const second = await client.embeddings.create({ model: "embed", input: "base64 please" });
    expect(second.data[0]!.embedding).toEqual(first.data[0]!.embedding);
    expect(upstream.calls["/v1/embeddings"]).toBe(1);
  });

  test("the numbers come back as the upstream wrote them, on a miss and on a hit", async () => {
    const upstream = rawUpstream(AWKWARD_JSON);
    try {
      const { client } = await gateway({ upstream: { baseURL: upstream.url } });
      const ask = () => client.embeddings.create({ model: "embed", input: "awkward", encoding_format: "float" }).withResponse();
      const [miss, hit] = [await ask(), await ask()];
      expect([miss, hit].map(({ response }) => response.headers.get("x-ragcache"))).toEqual(["MISS", "HIT"]);
      const expected = JSON.parse(AWKWARD_JSON) as number[];
      expect([miss.data.data[0]!.embedding, hit.data.data[0]!.embedding]).toEqual([expected, expected]);
    } finally {
      await upstream.stop();
    }
  });

  test("an entry that holds the vector as an array, as earlier versions stored it, is still served", async () => {
    const { ask, cache, key, upstream } = await askedOnce("stored before");
    await cache.set(key, { embedding: [0.5, -0.25, 2], tokens: 2 });
    const answer = await ask();
    expect(answer.data[0]!.embedding).toEqual([0.5, -0.25, 2]);
    expect(upstream.calls["/v1/embeddings"]).toBe(1);
  });

  test("a stored embedding text that could change the answer around it is a miss, asked for again", async () => {
    const { ask, cache, key, upstream } = await askedOnce("tampered");
    for (const embeddingJson of ['[1]}],"usage":{"prompt_tokens":0},"x":[{"a":[1', '{"a":1}', '"a\\"b"', "[1,[2]]"]) {
      await cache.set(key, { embeddingJson, tokens: 2 });
      expect((await ask()).data[0]!.embedding).toEqual(vectorOf("tampered"));
    }
    expect(upstream.calls["/v1/embeddings"]).toBe(5);
  });

  test("an upstream answering two items with one index gets a 502, not a half-filled answer", async () => {
    const item = (index: number) => `{"object":"embedding","index":${index},"embedding":[1,2]}`;
    const body = `{"object":"list","data":[${item(0)},${item(0)}],"model":"embed","usage":{"prompt_tokens":2,"total_tokens":2}}`;
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response(body, { headers: { "content-type": "application/json" } }),
    });
    try {
      const { client } = await gateway({ upstream: { baseURL: `http://127.0.0.1:${server.port}/v1` } });
      const failure = await client.embeddings
        .create({ model: "embed", input: ["one", "two"], encoding_format: "float" }, { maxRetries: 0 })
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 502 });
    } finally {
      server.stop(true);
    }
  });
});
