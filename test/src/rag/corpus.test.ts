// Pins src/rag/corpus.ts through RagCache (src/rag/index.ts), in one process and across two over Redis.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createCache, isRagCacheError, RagCache, type Cache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function chain(): Cache {
  const cache = createCache({ layers: [memory({ name: "l1" }), memory({ name: "l2" })] });
  closers.push(() => cache.close());
  return cache;
}

const docs = (index: string) => [{ id: "1", text: `from the ${index} index` }];

describe("corpus versions", () => {
  test("retrievals and answers are keyed by the corpus version; a bump makes them miss, expansions stay", async () => {
    const cache = chain();
    const rag = new RagCache({ cache, corpus: { version: "v1" } });
    await rag.expand("q", () => ["q"]);
    await rag.retrieve("q", { k: 1 }, () => docs("old"));
    await rag.answer("q", ["1"], {}, () => "old answer");
    expect(await cache.get("q", { namespace: "retrieval.v1", params: { k: 1 } })).toEqual(docs("old"));

    expect(await rag.bumpCorpusVersion("v2")).toEqual({ version: "v2", previous: ["v1"] });
    expect(await rag.corpusVersion()).toBe("v2");
    expect(await rag.expand("q", () => ["other"])).toMatchObject({ status: "hit" });
    expect(await rag.retrieve("q", { k: 1 }, () => docs("new"))).toMatchObject({ status: "miss", value: docs("new") });
    expect(await rag.answer("q", ["1"], {}, () => "new answer")).toMatchObject({ status: "miss", value: "new answer" });
    expect(await rag.retrieve("q", { k: 1 }, () => docs("newer"))).toMatchObject({ status: "hit", value: docs("new") });
  });

  test("a cleanup deletes the earlier versions' entries from every layer; a version bumped elsewhere wins over the configured one", async () => {
    const cache = chain();
    const rag = new RagCache({ cache });
    await rag.retrieve("q", {}, () => docs("unversioned"));
    await rag.bumpCorpusVersion("v2");
    await rag.retrieve("q", {}, () => docs("v2"));
    await rag.bumpCorpusVersion("v3");
    const other = new RagCache({ cache, corpus: { version: "v1" } });
    expect(await other.corpusVersion()).toBe("v3");
    expect(await rag.cleanupCorpusVersions()).toEqual(["v2", ""]);
    for (const namespace of ["retrieval", "retrieval.v2"]) {
      for (const layer of cache.layers) expect(await layer.get(cache.key("q", { namespace }))).toBeUndefined();
    }
    expect(await rag.bumpCorpusVersion("v4")).toEqual({ version: "v4", previous: ["v3"] });
  });

  test("a version that is not 1-32 characters of A-Z, a-z, 0-9, _ . - is refused with E_INVALID_KEY", async () => {
    const rag = new RagCache({ cache: chain() });
    for (const version of ["", "v 2", "x".repeat(33), "v/2"]) {
      const error = await rag.bumpCorpusVersion(version).catch((thrown: unknown) => thrown);
      expect(isRagCacheError(error, "E_INVALID_KEY")).toBe(true);
    }
    expect(() => new RagCache({ cache: chain(), corpus: { version: "a:b" } })).toThrow(/corpus version/);
  });
});

describe("corpus versions across processes", () => {
  test("a version bumped in this process is seen by a second process within 100 ms", async () => {
    const server: RedisServer = await startRedis();
    closers.push(() => server.stop());
    const prefix = `corpus-${crypto.randomUUID()}:`;
    const child = Bun.spawn(["bun", "run", join(import.meta.dir, "corpus-peer.ts"), server.url, prefix], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    closers.push(() => child.kill());
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    const nextLine = async (): Promise<unknown> => {
      while (!buffered.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error("the peer process exited");
        buffered += value;
      }
      const line = buffered.slice(0, buffered.indexOf("\n"));
      buffered = buffered.slice(line.length + 1);
      return JSON.parse(line);
    };
    const peerVersion = () => {
      child.stdin.write("version\n");
      child.stdin.flush();
      return nextLine();
    };
    expect(await nextLine()).toBe("ready");
    expect(await peerVersion()).toBe("v1");

    const cache = createCache({ layers: [memory(), redis({ url: server.url, prefix, log: () => {} })] });
    closers.push(() => cache.close());
    const rag = new RagCache({ cache, corpus: { version: "v1", recheck: "1h" } });
    const started = performance.now();
    await rag.bumpCorpusVersion("v2");
    while ((await peerVersion()) !== "v2") {
      if (performance.now() - started > 1_000) throw new Error("the peer did not see v2 within 1 s");
      await Bun.sleep(2);
    }
    expect(performance.now() - started).toBeLessThan(100);
  });
});
