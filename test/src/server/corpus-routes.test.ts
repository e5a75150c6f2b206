// Pins src/server/corpus-routes.ts: reading and bumping the corpus version over HTTP.
import { afterEach, describe, expect, test } from "bun:test";
import { createCache, RagCache } from "ragcache";
import { memory } from "ragcache/memory";
import { createServerApp } from "../../../src/server/app.ts";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function setup() {
  const cache = createCache({ layers: [memory()] });
  const app = createServerApp({ cache, token: "secret" });
  closers.push(
    () => app.close(),
    () => cache.close(),
  );
  const post = (body: unknown, token = "secret") =>
    app.request("/v1/corpus/version", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  return { cache, app, post };
}

describe("corpus version routes", () => {
  test("GET says the version and where retrievals and answers live; POST bumps it for every RagCache of the chain", async () => {
    const { cache, app, post } = setup();
    const rag = new RagCache({ cache });
    await rag.retrieve("q", {}, () => ["old"]);
    const read = await app.request("/v1/corpus/version", { headers: { authorization: "Bearer secret" } });
    expect(await read.json()).toEqual({
      version: "",
      namespaces: { retrieval: "retrieval", answer: "answer" },
    });
    const bumped = await post({ version: "v2" });
    expect(bumped.status).toBe(200);
    expect(await bumped.json()).toEqual({
      version: "v2",
      namespaces: { retrieval: "retrieval.v2", answer: "answer.v2" },
      previous: [""],
      deleted: [],
    });
    expect(await rag.corpusVersion()).toBe("v2");
    expect(await rag.retrieve("q", {}, () => ["new"])).toMatchObject({ status: "miss", value: ["new"] });

    const generated = await (await post({ cleanup: true })).json();
    expect(generated).toMatchObject({ previous: [], deleted: ["v2", ""] });
    expect(generated.version).toMatch(/^v[0-9a-z]+$/);
    expect(await cache.get("q", { namespace: "retrieval.v2" })).toBeUndefined();
  });

  test("a bad version is a 400 with the reason; without the token a 401", async () => {
    const { post } = setup();
    const bad = await post({ version: "v 2" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("corpus version");
    expect((await post({}, "wrong")).status).toBe(401);
  });
});
