import { afterEach, describe, expect, test } from "bun:test";
import { ChromaClient } from "chromadb";
import { createCache, type CacheEvents } from "ragcache";
import { chroma } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { startChroma, type ChromaServer } from "../../support/chroma-server.ts";

let server: ChromaServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function recordErrors(cache: ReturnType<typeof createCache>) {
  const errors: CacheEvents["error"][] = [];
  cache.on("error", (error) => void errors.push(error));
  return errors;
}

/**
 * Writes through a layer of its own with a generous deadline: a new collection's first writes take a few
 * hundred ms on a loaded machine, and the tests below time only what happens while Chroma hangs.
 */
async function writeUnhurried(url: string, collection: string, text: string, value: string, tags?: string[]) {
  const layer = chroma({ url, collection, timeout: "10s" });
  const cache = createCache({ layers: [layer], layerTimeout: "10s" });
  await cache.set(text, value, { tags });
  await layer.flush();
  await cache.close();
}

describe("chroma layer", () => {
  test("Chroma killed: lookups are misses with error events and the chain keeps answering", async () => {
    server = await startChroma({ private: true });
    const layer = chroma({ url: server.url, collection: "outage", retryAfter: 100 });
    const cache = createCache({ layers: [memory(), layer] });
    const errors = recordErrors(cache);
    const states: string[] = [];
    cache.on("degraded", () => void states.push("degraded"));
    await cache.set("what is rag", "answer");
    await layer.flush();
    await server.kill();

    expect(await cache.get("what's rag")).toBeUndefined();
    expect(await cache.get("what is rag")).toBe("answer");
    expect(await cache.getOrSet("how do i reset my password", () => "loaded")).toBe("loaded");
    await expect(cache.invalidateTags(["doc:1"])).resolves.toBeUndefined();
    const health = await cache.health();
    await cache.close();

    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.every((error) => error.layer === "chroma")).toBe(true);
    expect(errors.map((error) => error.operation)).toEqual(expect.arrayContaining(["get", "set", "invalidateTags"]));
    expect(states).toEqual(["degraded"]);
    expect(health.layers.find((l) => l.name === "chroma")?.state).toBe("down");
  });

  test("Chroma hanging: each call gives up at the request deadline, then fails fast until retryAfter", async () => {
    server = await startChroma({ private: true });
    await writeUnhurried(server.url, "hang", "what is rag", "answer");
    const layer = chroma({ url: server.url, collection: "hang", timeout: 400, retryAfter: 60_000 });
    // A chain budget far above the layer's deadline, so the layer's own timeout is the one that fires.
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    const errors = recordErrors(cache);
    expect(await cache.get("what is rag")).toBe("answer");
    server.pause();
    const started = performance.now();
    expect(await cache.get("what's rag")).toBeUndefined();
    const first = performance.now() - started;
    expect(await cache.get("what's rag")).toBeUndefined();
    const second = performance.now() - started - first;
    server.resume();
    await cache.close();
    expect(first).toBeGreaterThanOrEqual(390);
    expect(first).toBeLessThan(950);
    expect(second).toBeLessThan(100);
    expect(errors.map((error) => (error.error as { code?: string }).code)).toEqual(["E_LAYER_TIMEOUT", "E_LAYER_FAILED"]);
  });

  test("an invalidation missed while Chroma hangs is replayed before the next lookup", async () => {
    server = await startChroma({ private: true });
    await writeUnhurried(server.url, "replay", "what is rag", "answer", ["doc:1"]);
    const layer = chroma({ url: server.url, collection: "replay", timeout: 400, retryAfter: 50 });
    // A chain budget far above the layer's deadline: the call ends when the layer itself gives up and
    // remembers the invalidation, not when the chain abandons it (the layer would remember it later).
    const cache = createCache({ layers: [layer], layerTimeout: "10s" });
    const errors = recordErrors(cache);
    const recovered: CacheEvents["recovered"][] = [];
    cache.on("recovered", (event) => void recovered.push(event));
    expect(await cache.get("what is rag")).toBe("answer");
    server.pause();
    await cache.invalidateTags(["doc:1"]);
    expect(layer.stats!().pendingInvalidations).toBe(1);
    server.resume();
    await Bun.sleep(60);
    expect(await cache.get("what is rag")).toBeUndefined();
    expect(layer.stats!().pendingInvalidations).toBe(0);
    expect(errors.map((error) => [error.operation, error.error.message])).toEqual([
      ["invalidateTags", expect.stringContaining("Chroma did not answer within 400 ms")],
    ]);
    expect(recovered).toHaveLength(1);
    await cache.close();
  });

  test("a collection deleted behind the layer's back: one failed call, not remembered for replay, then a fresh collection", async () => {
    server = await startChroma();
    const layer = chroma({ url: server.url, collection: `dropped-${process.pid}` });
    const cache = createCache({ layers: [layer] });
    const errors = recordErrors(cache);
    await cache.set("what is rag", "answer", { tags: ["doc:1"] });
    await layer.flush();
    const url = new URL(server.url);
    await new ChromaClient({ host: url.hostname, port: Number(url.port), ssl: false }).deleteCollection({
      name: `dropped-${process.pid}`,
    });
    await cache.invalidateTags(["doc:1"]);
    expect(layer.stats!().pendingInvalidations).toBe(0);
    expect(await cache.get("what is rag")).toBeUndefined();
    await cache.set("what is rag", "again");
    await layer.flush();
    expect(await cache.get("what's rag")).toBe("again");
    expect(errors.map((error) => error.operation)).toEqual(["invalidateTags"]);
    await cache.close();
  });

  test("nothing listening on the port: a miss and an error event, never an exception", async () => {
    const cache = createCache({ layers: [chroma({ url: "http://127.0.0.1:9", collection: "nobody" })] });
    const errors = recordErrors(cache);
    expect(await cache.get("what is rag")).toBeUndefined();
    await cache.set("what is rag", 1);
    await cache.close();
    expect(errors.map((error) => error.operation)).toEqual(["get", "set"]);
  });
});
