import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createCache, isRagCacheError, jsonLogger, loadConfig, type RagConfig } from "../../src/index.ts";
import { defaultConfig, type PluginRef } from "../../src/index.ts";
import type { WarmingPlugin } from "./index.ts";
import { progressReporter } from "./progress-bar.ts";

const USAGE = `usage: bun run warm [--config ragcache.json] [--list warm_queries.json] [--top N] [--concurrency N] [--loader namespace=http://…]

Runs one warming pass: the warm list plus the most frequent learned queries, re-computed by each
namespace's loader and written through every layer. The config comes from --config, else $RAG_CONFIG,
else the built-in memory + file chain. Exits 0 when the pass ran (failed items are listed), 1 when it
could not run (bad config, unreadable warm list).`;

/** The config with its warming plugin (added when absent) adjusted for one pass from the command line. */
async function passConfig(
  values: Record<string, string | string[] | boolean | undefined>,
): Promise<{ config: RagConfig; baseDir?: string }> {
  const path = (values.config as string | undefined) ?? process.env.RAG_CONFIG;
  const { resolve, dirname } = await import("node:path");
  const config: RagConfig = path
    ? await readFile(resolve(path), "utf8")
        .then((text) => JSON.parse(text) as RagConfig)
        .catch((error: Error) => fail(`cannot read config ${path}: ${error.message}`))
    : { ...defaultConfig };
  const plugins = [...((config.plugins ?? []) as PluginRef[])];
  let index = plugins.findIndex((ref) => ref.use === "warming");
  if (index < 0) index = plugins.push({ use: "warming" }) - 1;
  const ref: PluginRef = { ...plugins[index]!, schedule: false, onLowHitRate: false };
  if (values.list) ref.warmList = resolve(values.list as string);
  if (values.top) ref.topN = Number(values.top);
  if (values.concurrency) ref.concurrency = Number(values.concurrency);
  for (const spec of (values.loader as string[] | undefined) ?? []) {
    const [namespace, url] = [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)];
    if (!namespace || !url) fail(`--loader wants namespace=url, got "${spec}"`);
    ref.loaders = { ...(ref.loaders as object), [namespace]: { url } };
  }
  plugins[index] = ref;
  return { config: { ...config, plugins }, baseDir: path ? dirname(resolve(path)) : undefined };
}

function fail(message: string): never {
  console.error(`warm: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        config: { type: "string" },
        list: { type: "string" },
        top: { type: "string" },
        concurrency: { type: "string" },
        loader: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) return void console.log(USAGE);
  const { config, baseDir } = await passConfig(parsed.values);
  const options = await loadConfig(config, { baseDir }).catch((error: Error) =>
    fail(isRagCacheError(error) ? error.message : `cannot load the config: ${error.message}`),
  );
  const plugin = options.plugins!.find((candidate): candidate is WarmingPlugin => "run" in candidate && "plan" in candidate)!;
  // The pass's own progress and failures are printed below; the log keeps what else goes wrong.
  const logger = jsonLogger();
  const cache = createCache({
    ...options,
    log: { log: (level, fields) => fields.layer !== plugin.name && logger.log(level, fields) },
  });
  await cache.ready.catch((error: Error) => fail(error.message));
  const show = progressReporter(process.stdout);
  cache.on("warming", show);
  const pass = plugin.run({ trigger: "cli" });
  process.once("SIGINT", () => pass.cancel());
  const result = await pass;
  await cache.close();
  if (result.state === "failed") fail(result.error ?? "the pass could not start");
  for (const failure of result.failures) console.log(`failed: [${failure.namespace}] ${failure.query}: ${failure.error}`);
  console.log(
    `${result.state === "cancelled" ? "cancelled" : "done"}: warmed ${result.done - result.failed} of ${result.total}, ${result.failed} failed, in ${(result.finishedAt ?? 0) - result.startedAt} ms`,
  );
}

await main();
