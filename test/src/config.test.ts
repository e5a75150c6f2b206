// Pins src/config/index.ts with schema.ts and env.ts (and loads examples/custom-layer/map-layer.ts).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCache, isRagCacheError, loadConfig, parseConfig, RagCacheError } from "ragcache";

const examples = join(import.meta.dir, "../../examples/custom-layer");

async function configError(run: () => Promise<unknown>): Promise<RagCacheError> {
  const error = await run().then(
    () => undefined,
    (e) => e,
  );
  if (!isRagCacheError(error, "E_CONFIG_INVALID")) throw new Error(`expected E_CONFIG_INVALID, got ${error}`);
  return error;
}

describe("declarative config", () => {
  test("an object naming built-in plugins becomes layers createCache takes", async () => {
    const options = await loadConfig({ layers: [{ use: "memory", max: 5, name: "l1" }], defaultTtl: "1h" }, { env: {} });
    expect(options.layers.map((l) => l.name)).toEqual(["l1"]);
    expect(options.defaultTtl).toBe("1h");
    const cache = createCache(options);
    await cache.set("q", 1);
    expect(cache.get("q")).toBe(1);
  });

  test("a custom layer is loaded by module path relative to the config file", async () => {
    const options = await loadConfig(join(examples, "ragcache.json"), { env: { RAG_MAP_LAYER_LOG: "false" } });
    expect(options.layers.map((l) => l.name)).toEqual(["memory", "map"]);
    const cache = createCache(options);
    await cache.set("q", "v");
    expect(options.layers[1]!.stats!()).toEqual({ entries: 1 });
  });

  test("env vars override the file: RAG_<PLUGIN>_<OPTION> and top-level RAG_*", async () => {
    const env = { RAG_MEMORY_MAX: "2", RAG_MEMORY_NAME: "from-env", RAG_DEFAULT_TTL: "30s", RAG_MAX_VALUE_BYTES: "1000" };
    const options = await loadConfig({ layers: [{ use: "memory", max: 1000 }], defaultTtl: "1h" }, { env });
    expect(options.defaultTtl).toBe("30s");
    expect(options.maxValueBytes).toBe(1000);
    const cache = createCache(options);
    for (const q of ["a", "b", "c"]) await cache.set(q, q);
    expect(cache.stats().layers[0]).toMatchObject({ name: "from-env", entries: 2 });
  });

  test("an invalid config lists every problem with its path, at load time", async () => {
    const error = await configError(() =>
      loadConfig(
        {
          layers: [{ use: "memory", max: -1, colour: "red" }, { use: "no-such-plugin" }],
          defaultTtl: "soon",
          extra: true,
        } as never,
        { env: {} },
      ),
    );
    const paths = (error.details as { path: string }[]).map((issue) => issue.path).sort();
    expect(paths).toEqual(["", "defaultTtl", "layers.0", "layers.0.max", "layers.1.use"]);
    expect(error.message).toContain("layers.0.max");
    expect(error.message).toContain('cannot load plugin "no-such-plugin"');
  });

  test("env values are validated like file values", async () => {
    const error = await configError(() => loadConfig({ layers: [{ use: "memory" }] }, { env: { RAG_MEMORY_MAX: "lots" } }));
    expect(error.message).toContain("layers.0.max");
  });

  test("a missing file, bad JSON or a non-object is a clear config error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragcache-config-"));
    writeFileSync(join(dir, "bad.json"), "{ layers: ");
    expect((await configError(() => loadConfig(join(dir, "missing.json")))).message).toContain("cannot read");
    expect((await configError(() => loadConfig(join(dir, "bad.json")))).message).toContain("not valid JSON");
    expect(() => parseConfig([1, 2], {})).toThrow(/must be a JSON object/);
    expect(() => parseConfig({ layers: [] }, {})).toThrow(/at least one layer/);
  });

  test("without a config the default chain is memory + file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ragcache-default-"));
    const options = await loadConfig(undefined, { env: { RAG_FILE_DIR: dir } });
    expect(options.layers.map((l) => l.name)).toEqual(["memory", "file"]);
    await createCache(options).close();
  });
});
