// Pins plugins/chroma/verify.ts and the layer's verify option: borderline matches asked of a loopback chat endpoint.
import { afterAll, describe, expect, test } from "bun:test";
import { createCache, loadConfig, type CacheEvents } from "ragcache";
import { chatVerifier, chroma, type ChromaLayer, type VerifyOptions } from "ragcache/chroma";
import { chromaForTests } from "../../support/chroma-server.ts";

const server = chromaForTests("verify");

/** A loopback OpenAI-compatible chat endpoint answering `reply` (or never, for "hang"). */
let reply = "yes";
const requests: { model: string; messages: { role: string; content: string }[] }[] = [];
const chat = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    requests.push(await request.json());
    if (reply === "hang") await Bun.sleep(2_000);
    return Response.json({ choices: [{ message: { role: "assistant", content: reply } }] });
  },
});
afterAll(() => chat.stop(true));
const baseURL = `http://127.0.0.1:${chat.port}`;

async function lookupWith(verify: VerifyOptions) {
  const layer = chroma({ url: server.url, collection: server.collection(), timeout: "5s", verify });
  const cache = createCache({ layers: [layer], layerTimeout: "10s" });
  const refusals: CacheEvents["guard"][] = [];
  cache.on("guard", (event) => refusals.push(event));
  await cache.set("how do I reset my password", "answer");
  const value = await cache.get("how can I reset my password");
  await cache.close();
  return { value, refusals, layer: layer as ChromaLayer };
}

describe("verifier for borderline matches", () => {
  test("the chat verifier's yes serves the match, its no refuses it with the reason", async () => {
    reply = "Yes.";
    requests.length = 0;
    const served = await lookupWith({ baseURL, model: "judge", band: 1 });
    expect(served.value).toBe("answer");
    expect(requests).toHaveLength(1);
    expect(requests[0]!.model).toBe("judge");
    expect(requests[0]!.messages.at(-1)!.content).toContain("how can i reset my password");
    reply = "no";
    const refused = await lookupWith({ baseURL, band: 1 });
    expect(refused.value).toBeUndefined();
    expect(refused.refusals.map((event) => event.reason)).toEqual(["verifier says the questions differ"]);
    expect(refused.layer.stats!()).toMatchObject({ verified: 1, unverified: 1 });
  });

  test("a verifier later than its timeout or failing means the match is not served", async () => {
    reply = "hang";
    const late = await lookupWith({ baseURL, band: 1, timeout: "100ms" });
    expect(late.value).toBeUndefined();
    expect(late.refusals.map((event) => event.reason)).toEqual(["verifier did not answer within 100 ms"]);
    const failing = await lookupWith({ band: 1, verifier: () => Promise.reject(new Error("quota")) });
    expect(failing.refusals.map((event) => event.reason)).toEqual(["verifier failed: quota"]);
  });

  test("only borderline matches are verified: above threshold + band the verifier is not called", async () => {
    const seen: string[][] = [];
    const verifier = async (query: string, candidate: string) => (seen.push([query, candidate]), false);
    expect((await lookupWith({ verifier, band: 0 })).value).toBe("answer");
    expect(seen).toEqual([]);
    expect((await lookupWith({ verifier, band: 1 })).value).toBeUndefined();
    expect(seen).toEqual([["how can i reset my password", "how do i reset my password"]]);
  });

  test("from config, the built-in chat verifier with its band and timeout", async () => {
    reply = "yes";
    requests.length = 0;
    const { layers } = await loadConfig(
      {
        layers: [
          {
            use: "chroma",
            url: server.url,
            collection: server.collection(),
            timeout: "5s",
            verify: { baseURL, band: 1, timeout: "2s" },
          },
        ],
      },
      { env: {} },
    );
    const cache = createCache({ layers, layerTimeout: "10s" });
    await cache.set("what is the refund window", 30);
    expect(await cache.get("what's the refund window")).toBe(30);
    expect(requests).toHaveLength(1);
    await cache.close();
    await expect(loadConfig({ layers: [{ use: "chroma", verify: { band: 2 } }] }, { env: {} })).rejects.toThrow(/verify\.band/);
  });

  test("chatVerifier reads the reply's first word", async () => {
    reply = "no, they differ";
    expect(await chatVerifier({ baseURL })("a", "b")).toBe(false);
    reply = "YES";
    expect(await chatVerifier({ baseURL })("a", "b")).toBe(true);
  });
});
