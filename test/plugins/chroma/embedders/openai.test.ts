import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openAIEmbedder } from "ragcache/chroma";

/**
 * An OpenAI-compatible endpoint on loopback (no network in tests): answers each text with a vector
 * derived from its length, and records what it received.
 */
let server: ReturnType<typeof Bun.serve>;
const received: { auth: string | null; body: { model: string; input: string[]; dimensions?: number } }[] = [];
let mode: "ok" | "slow" | "error" | "short" = "ok";

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      if (new URL(request.url).pathname !== "/v1/embeddings") return new Response("not found", { status: 404 });
      const body = (await request.json()) as { model: string; input: string[]; dimensions?: number };
      received.push({ auth: request.headers.get("authorization"), body });
      if (mode === "slow") await Bun.sleep(500);
      if (mode === "error") return Response.json({ error: { message: "quota exceeded" } }, { status: 429 });
      const size = body.dimensions ?? 4;
      const data = body.input.map((text, index) => ({
        index,
        embedding: Array.from({ length: mode === "short" ? size - 1 : size }, (_, i) => text.length + i),
      }));
      return Response.json({ object: "list", data: data.reverse(), model: body.model });
    },
  });
});
afterAll(() => server.stop(true));

const make = (options: Parameters<typeof openAIEmbedder>[0] = {}) =>
  openAIEmbedder({
    baseURL: `http://127.0.0.1:${server.port}`,
    model: "test-model",
    dimensions: 4,
    apiKey: "sk-test",
    ...options,
  });

describe("openai embedder", () => {
  test("posts to {baseURL}/v1/embeddings with the model and key, and orders vectors by index", async () => {
    mode = "ok";
    received.length = 0;
    const vectors = await make().embed(["a", "bbb"]);
    expect(vectors).toEqual([
      [1, 2, 3, 4],
      [3, 4, 5, 6],
    ]);
    expect(received).toEqual([
      { auth: "Bearer sk-test", body: expect.objectContaining({ model: "test-model", input: ["a", "bbb"] }) },
    ]);
  });

  test("splits long lists into batches of batchSize", async () => {
    mode = "ok";
    received.length = 0;
    const texts = Array.from({ length: 7 }, (_, i) => `batch text ${"x".repeat(i)}`);
    const vectors = await make({ batchSize: 3, model: "batching" }).embed(texts);
    expect(vectors.map((v) => v[0])).toEqual(texts.map((t) => t.length));
    expect(received.map((r) => r.body.input.length).sort()).toEqual([1, 3, 3]);
  });

  test("a text is embedded once per process, and concurrent callers share the request", async () => {
    mode = "ok";
    received.length = 0;
    const embedder = make({ model: "memo" });
    await Promise.all([embedder.embed(["same"]), embedder.embed(["same", "other"]), make({ model: "memo" }).embed(["same"])]);
    await embedder.embed(["other", "same"]);
    expect(received.flatMap((r) => r.body.input).sort()).toEqual(["other", "same"]);
  });

  test("reads the key from the environment variable named by apiKeyEnv", async () => {
    mode = "ok";
    received.length = 0;
    process.env.RAGCACHE_TEST_KEY = "sk-from-env";
    await make({ apiKey: undefined, apiKeyEnv: "RAGCACHE_TEST_KEY", model: "env" }).embed(["key from env"]);
    delete process.env.RAGCACHE_TEST_KEY;
    expect(received[0]?.auth).toBe("Bearer sk-from-env");
  });

  test("sends dimensions only to text-embedding-3 models asked for fewer than their own", async () => {
    mode = "ok";
    received.length = 0;
    const small = make({ model: "text-embedding-3-small", dimensions: 8 });
    expect(small.id).toBe("openai:text-embedding-3-small:8");
    expect((await small.embed(["dims"]))[0]).toHaveLength(8);
    expect(received[0]?.body.dimensions).toBe(8);
    expect(openAIEmbedder({ model: "text-embedding-3-large" }).dimensions).toBe(3072);
  });

  test("a slow endpoint fails at the timeout with E_LAYER_TIMEOUT", async () => {
    mode = "slow";
    await expect(make({ timeout: 100, model: "slow" }).embed(["slow"])).rejects.toMatchObject({ code: "E_LAYER_TIMEOUT" });
  });

  test("an HTTP error or a malformed answer is an error naming the endpoint, never a wrong vector", async () => {
    mode = "error";
    await expect(make({ model: "error" }).embed(["e"])).rejects.toThrow(/HTTP 429.*quota exceeded/);
    mode = "short";
    await expect(make({ model: "short" }).embed(["s"])).rejects.toThrow(/not 4 finite numbers/);
    await expect(make({ baseURL: "http://127.0.0.1:9", model: "down" }).embed(["d"])).rejects.toMatchObject({
      code: "E_LAYER_FAILED",
    });
  });

  test("an unknown model without dimensions is refused at construction", () => {
    expect(() => openAIEmbedder({ model: "my-model" })).toThrow(expect.objectContaining({ code: "E_CONFIG_INVALID" }));
  });
});
