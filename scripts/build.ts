/**
 * `bun run build`: ESM JavaScript with source maps for every public entry point into dist/ (one file
 * per entry, shared code in chunks), then the declarations with tsc into dist/types. What
 * package.json lists as a dependency or peer stays an import; everything else the code uses (zod,
 * lru-cache, @hono/zod-validator, @noble/hashes) is bundled, so a memory-only install is ragcache +
 * hono. zod's declarations ship in dist/types/vendor/zod (MIT), so consumers type-check without
 * installing it.
 */
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import pkg from "../package.json" with { type: "json" };

const ROOT = join(import.meta.dir, "..");
const DIST = join(ROOT, "dist");
const ENTRY_DIR = join(ROOT, ".cache", "build-entries");

/** dist/<name>.js re-exports this module; `index` is the package root. */
export const ENTRIES: Record<string, string> = {
  index: "src/index.ts",
  hono: "src/hono/index.ts",
  testing: "src/testing/index.ts",
  openai: "src/openai/index.ts",
  "ai-sdk": "src/ai-sdk/index.ts",
  langchain: "src/langchain/index.ts",
  memory: "plugins/memory/index.ts",
  redis: "plugins/redis/index.ts",
  file: "plugins/file/index.ts",
  chroma: "plugins/chroma/index.ts",
  metrics: "plugins/metrics/index.ts",
  warming: "plugins/warming/index.ts",
};

const external = [...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }), "hono/*", "bun:*"];
const ZOD = join(ROOT, "node_modules", "zod");
const ZOD_TYPES = join(DIST, "types", "vendor", "zod");

const LRU_CACHE_NEUTRAL = join(ROOT, "node_modules", "lru-cache", "dist", "esm", "browser", "index.min.js");

/** In the build, built-in plugins are the entry files next to the code that loads them. */
const BUILT_IN_PLUGINS = ["memory", "redis", "file", "chroma", "metrics", "warming"];
const builtInNextToDist = `export const BUILT_IN_PLUGINS = ${JSON.stringify(BUILT_IN_PLUGINS)};
export function builtInSpecifier(name) { return new URL("./" + name + ".js", import.meta.url).href; }
`;

/**
 * The library entries into dist/, and the bin with its own copy of the core and plugins into
 * dist/cli/: built together, the server's extra zod (OpenAPI, JSON Schema) would sit in the chunk
 * every library entry imports, and so in every edge bundle.
 */
async function bundle(): Promise<void> {
  await rm(ENTRY_DIR, { recursive: true, force: true });
  await mkdir(ENTRY_DIR, { recursive: true });
  const library: string[] = [];
  for (const [name, source] of Object.entries(ENTRIES)) {
    const file = join(ENTRY_DIR, `${name}.ts`);
    await writeFile(file, `export * from ${JSON.stringify(join(ROOT, source))};\n`);
    library.push(file);
  }
  const plugins = BUILT_IN_PLUGINS.map((name) => join(ENTRY_DIR, `${name}.ts`));
  await build(library, DIST, { minify: false, sourcemap: "linked" });
  // A program, not a library: minified and without source maps, 1.7 MB less in every install.
  await build([join(ROOT, "bin", "ragcache.ts"), ...plugins], join(DIST, "cli"), { minify: true, sourcemap: "none" });
  for (const file of await listFiles(DIST)) if (file.endsWith(".js.map")) await trimSourceMap(file);
}

async function build(
  entrypoints: string[],
  outdir: string,
  { minify, sourcemap }: { minify: boolean; sourcemap: "linked" | "none" },
): Promise<void> {
  const result = await Bun.build({
    entrypoints,
    outdir,
    minify,
    sourcemap,
    target: "node",
    format: "esm",
    splitting: true,
    external,
    naming: { entry: "[name].[ext]", chunk: "chunk-[hash].[ext]" },
    plugins: [
      {
        name: "built-in-plugins",
        setup(build) {
          // lru-cache's neutral build: the same cache without node:diagnostics_channel, so it runs on the edge.
          build.onResolve({ filter: /^lru-cache$/ }, () => ({ path: LRU_CACHE_NEUTRAL }));
          build.onLoad({ filter: /src[\\/]config[\\/]built-in\.ts$/ }, () => ({ contents: builtInNextToDist, loader: "js" }));
        },
      },
    ],
  });
  if (!result.success) throw new AggregateError(result.logs, "bun build failed");
}

/** Source maps keep the text of ragcache's own sources; bundled libraries' text is theirs to ship. */
async function trimSourceMap(file: string): Promise<void> {
  const map = JSON.parse(await readFile(file, "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
  map.sourcesContent = map.sourcesContent?.map((text, i) => (map.sources[i]?.includes("node_modules/") ? null : text));
  await writeFile(file, JSON.stringify(map));
}

async function declarations(): Promise<void> {
  const tsc = Bun.spawnSync(["bun", "x", "tsc", "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  });
  if (tsc.exitCode !== 0) throw new Error("tsc failed to emit the declarations");
  for (const file of await listFiles(join(DIST, "types"))) {
    if (!file.endsWith(".d.ts")) continue;
    const text = await readFile(file, "utf8");
    const zod = relative(dirname(file), join(ZOD_TYPES, "index.js"));
    const rewritten = text
      // tsc keeps the source's `.ts` specifiers in declarations; consumers resolve `.js` to the `.d.ts`.
      .replace(/((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*?)\.ts(["'])/g, "$1.js$2")
      .replace(/((?:from|import)\s*\(?\s*)["']zod["']/g, `$1"${zod.startsWith(".") ? zod : `./${zod}`}"`);
    if (rewritten !== text) await writeFile(file, rewritten);
  }
  await vendorZodTypes();
}

/** zod's own declarations (no imports outside them) and its license, next to ours. */
async function vendorZodTypes(): Promise<void> {
  for (const dir of ["v4/classic", "v4/core", "v4/locales"]) {
    await cp(join(ZOD, dir), join(ZOD_TYPES, dir), { recursive: true, filter: (path) => !/\.(c?js|cts|map)$/.test(path) });
  }
  await cp(join(ZOD, "index.d.ts"), join(ZOD_TYPES, "index.d.ts"));
  await cp(join(ZOD, "LICENSE"), join(ZOD_TYPES, "LICENSE"));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

await rm(DIST, { recursive: true, force: true });
await bundle();
await declarations();
const files = await listFiles(DIST);
console.log(
  `build: ${files.filter((f) => f.endsWith(".js")).length} JS files, ${files.filter((f) => f.endsWith(".d.ts")).length} declarations in dist/`,
);
