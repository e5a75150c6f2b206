// Pins plugins/file/index.ts with file-index.ts and format.ts.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, createKey, isRagCacheError, type CacheEvents, type CacheLayer, type LayerHit } from "ragcache";
import { file } from "ragcache/file";
import { memory } from "ragcache/memory";
import { layerConformance, manualClock, testContext, testEntry } from "ragcache/testing";

const root = mkdtempSync(join(tmpdir(), "ragcache-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `t${n++}`);

/** Every file under a folder, as paths relative to it. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1));
}

layerConformance("file layer", () => file({ dir: freshDir() }), { additionalTests: fileLayerTests });

/** What this layer does beyond the shared suite, in the same `describe`. */
function fileLayerTests(): void {
  test("file names are hashes, so no key or namespace can reach outside the folder", async () => {
    const dir = freshDir();
    const layer = file({ dir });
    const key = createKey("../../../etc/passwd \u0000 /root", { namespace: ".." });
    await layer.set(key, testEntry(key, "x"));
    expect((await layer.get(key))?.value).toBe("x");
    const files = filesIn(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{16}\/[0-9a-f]{32}\.json$/);
    expect(readdirSync(root).every((name) => name.startsWith("t"))).toBe(true);
  });

  test("writes are atomic: concurrent readers see the old or the new entry, never part of one, and no temporary file remains", async () => {
    const dir = freshDir();
    const layer = file({ dir });
    const key = createKey("big");
    const values = Array.from({ length: 20 }, (_, i) => ({ i, text: String(i).repeat(50_000) }));
    const seen: unknown[] = [];
    const reads: Promise<void>[] = [];
    for (const value of values) {
      reads.push(Promise.resolve(layer.get(key)).then((hit) => void seen.push(hit?.value)));
      await layer.set(key, testEntry(key, value));
    }
    await Promise.all(reads);
    for (const value of seen) if (value !== undefined) expect(values as unknown[]).toContainEqual(value);
    expect(filesIn(dir).some((name) => name.endsWith(".tmp"))).toBe(false);
    expect((await layer.get(key))?.value).toEqual(values.at(-1));
  });

  const damages: [string, (text: string) => string][] = [
    ["corrupted", () => "garbage \u0000 not json"],
    ["truncated", (text) => text.slice(0, Math.floor(text.length / 2))],
  ];
  for (const [damage, spoil] of damages) {
    test(`a ${damage} file is a miss, is removed and raises an error event`, async () => {
      const dir = freshDir();
      const layer = file({ dir });
      const context = testContext();
      layer.attach!(context);
      const key = createKey(damage);
      await layer.set(key, testEntry(key, { docs: ["a", "b"] }, { tags: ["doc:1"] }));
      const [path] = filesIn(dir);
      writeFileSync(join(dir, path!), spoil(readFileSync(join(dir, path!), "utf8")));
      expect(await layer.get(key)).toBeUndefined();
      expect(filesIn(dir)).toEqual([]);
      expect(layer.stats().entries).toBe(0);
      const errors = context.events.filter((e) => e.event === "error").map((e) => e.payload as CacheEvents["error"]);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.error.message).toContain("corrupt or truncated");
    });
  }

  test("health is degraded while writes fail and up again once one succeeds, with degraded and recovered events", async () => {
    const dir = freshDir();
    const layer = file({ dir });
    const context = testContext();
    layer.attach!(context);
    await layer.set(createKey("first", { namespace: "ns" }), testEntry(createKey("first", { namespace: "ns" }), 1));
    const [folder] = readdirSync(dir);
    // A file where the namespace's folder should be: every write there fails (root ignores chmod, not this).
    rmSync(join(dir, folder!), { recursive: true });
    writeFileSync(join(dir, folder!), "in the way");
    const failing = await Promise.resolve(
      layer.set(createKey("second", { namespace: "ns" }), testEntry(createKey("second", { namespace: "ns" }), 2)),
    ).catch((e) => e);
    expect(isRagCacheError(failing, "E_LAYER_FAILED")).toBe(true);
    const degraded = await layer.health!();
    expect(degraded).toMatchObject({ state: "degraded" });
    expect(degraded.detail).toContain("writes fail");
    await Promise.resolve(
      layer.set(createKey("third", { namespace: "ns" }), testEntry(createKey("third", { namespace: "ns" }), 3)),
    ).catch(() => {});
    expect((await layer.health!()).state).toBe("degraded");

    rmSync(join(dir, folder!));
    await layer.set(createKey("fourth", { namespace: "ns" }), testEntry(createKey("fourth", { namespace: "ns" }), 4));
    expect(await layer.health!()).toMatchObject({ state: "up", entries: 2 });
    const events = context.events.map((e) => e.event).filter((e) => e === "degraded" || e === "recovered");
    expect(events).toEqual(["degraded", "recovered"]);
  });

  test("an unwritable folder: set rejects with E_LAYER_FAILED, the chain reports an error and misses, health is down", async () => {
    const blocker = join(freshDir() + "-file");
    writeFileSync(blocker, "a file where the folder should be");
    const layer = file({ dir: join(blocker, "cache") });
    const error = await Promise.resolve(layer.set(createKey("q"), testEntry(createKey("q"), 1))).catch((e: unknown) => e);
    expect(isRagCacheError(error, "E_LAYER_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/^file: write in .* failed/);
    expect((await layer.health!()).state).toBe("down");

    const cache = createCache({ layers: [file({ dir: join(blocker, "cache") })] });
    const errors: CacheEvents["error"][] = [];
    cache.on("error", (e) => errors.push(e));
    await cache.set("q", "v");
    expect(await cache.get("q")).toBeUndefined();
    expect(await cache.getOrSet("q", () => "loaded")).toBe("loaded");
    expect(errors.map((e) => e.operation)).toContain("set");
    await cache.close();
  });

  test("maxEntries removes expired entries first, then the oldest writes, with evict events", async () => {
    const layer = file({ dir: freshDir(), maxEntries: 3 });
    const context = testContext();
    layer.attach!(context);
    const now = Date.now();
    await layer.set(createKey("old"), testEntry(createKey("old"), "old"));
    await layer.set(createKey("expiring"), testEntry(createKey("expiring"), "e", { expiresAt: now + 50 }));
    await layer.set(createKey("b"), testEntry(createKey("b"), "b"));
    await Bun.sleep(60);
    await layer.set(createKey("c"), testEntry(createKey("c"), "c"));
    await layer.set(createKey("d"), testEntry(createKey("d"), "d"));
    expect(layer.stats().entries).toBe(3);
    expect(await layer.get(createKey("old"))).toBeUndefined();
    expect((await layer.get(createKey("d")))?.value).toBe("d");
    const reasons = context.events.filter((e) => e.event === "evict").map((e) => (e.payload as CacheEvents["evict"]).reason);
    expect(reasons).toEqual(["expired", "capacity"]);
  });

  test("maxBytes bounds the folder's entry bytes", async () => {
    const layer = file({ dir: freshDir(), maxBytes: 5_000 });
    for (let i = 0; i < 10; i++) await layer.set(createKey(`q${i}`), testEntry(createKey(`q${i}`), "x".repeat(1_000)));
    expect(layer.stats().bytes).toBeLessThanOrEqual(5_000);
    expect(layer.stats().entries).toBe(4);
    expect((await layer.get(createKey("q9")))?.value).toBe("x".repeat(1_000));
  });

  test("a new layer on the same folder rebuilds its index: tags still invalidate, leftovers and corrupt files are removed", async () => {
    const dir = freshDir();
    const first = file({ dir });
    await first.set(createKey("a"), testEntry(createKey("a"), "a", { tags: ["doc:7"] }));
    await first.set(createKey("b"), testEntry(createKey("b"), "b"));
    await first.close!();
    const folder = filesIn(dir)[0]!.split("/")[0]!;
    writeFileSync(join(dir, folder, "x.json.123.tmp"), "half");
    writeFileSync(join(dir, folder, "bad.json"), "{");

    const second = file({ dir });
    await second.invalidateTags(["doc:7"]);
    expect(await second.get(createKey("a"))).toBeUndefined();
    expect((await second.get(createKey("b")))?.value).toBe("b");
    expect(filesIn(dir)).toHaveLength(1);
    expect(second.stats().entries).toBe(1);
  });

  test("expiry follows the chain's clock", async () => {
    const clock = manualClock(Date.now());
    const cache = createCache({ layers: [file({ dir: freshDir() })], now: clock.now });
    await cache.set("q", "v", { ttl: "1m" });
    clock.advance("59s");
    expect(await cache.get("q")).toBe("v");
    clock.advance("2s");
    expect(await cache.get("q")).toBeUndefined();
    await cache.close();
  });

  test("writes racing a clear() of their namespace still land", async () => {
    const layer = file({ dir: freshDir() });
    await layer.set(createKey("first"), testEntry(createKey("first"), 0));
    const writes = Array.from({ length: 50 }, (_, i) => layer.set(createKey(`q${i}`), testEntry(createKey(`q${i}`), i)));
    await layer.clear("default");
    await Promise.all(writes);
    await layer.set(createKey("after"), testEntry(createKey("after"), "after"));
    expect((await layer.get(createKey("after")))?.value).toBe("after");
  });

  test("a back-fill (ifNewer) stores over an older entry or none, never over a newer one", async () => {
    const layer = file({ dir: freshDir() });
    const key = createKey("q");
    const [older, newer, newest] = [testEntry(key, "older"), testEntry(key, "newer"), testEntry(key, "newest")];
    await layer.set(key, older, { ifNewer: true });
    expect((await layer.get(key))?.value).toBe("older");
    await layer.set(key, newer);
    await layer.set(key, older, { ifNewer: true });
    expect((await layer.get(key))?.value).toBe("newer");
    await layer.set(key, newest, { ifNewer: true });
    expect((await layer.get(key))?.value).toBe("newest");
  });

  test("back-fills racing newer plain writes of the same keys never land over them (100 keys)", async () => {
    const layer = file({ dir: freshDir() });
    const keys = Array.from({ length: 100 }, (_, i) => createKey(`q${i}`));
    const olders = keys.map((key) => testEntry(key, "older"));
    const newers = keys.map((key) => testEntry(key, "newer"));
    await Promise.all(
      keys.map((key, i) => Promise.all([layer.set(key, newers[i]!), layer.set(key, olders[i]!, { ifNewer: true })])),
    );
    const stale = [];
    for (const key of keys) if ((await layer.get(key))?.value !== "newer") stale.push(key.text);
    expect(stale).toEqual([]);
  });

  test("in a chain, a back-fill read from a lower layer before another writer's newer entry landed in the file is dropped", async () => {
    const upper = file({ dir: freshDir() });
    const lower = memory({ name: "lower" });
    const key = createKey("q");
    lower.set(key, testEntry(key, "old"));
    const writtenMeanwhile = testEntry(key, "new");
    const late: CacheLayer = {
      ...lower,
      get: (asked) => {
        const hit = lower.get(asked);
        return Promise.resolve(upper.set(key, writtenMeanwhile)).then(() => hit as LayerHit | undefined);
      },
    };
    const cache = createCache({ layers: [upper, late] });
    expect(await cache.get(key)).toBe("old");
    await cache.close();
    expect((await upper.get(key))?.value).toBe("new");
  });
}
