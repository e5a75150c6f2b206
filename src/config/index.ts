import type { ZodType } from "zod";
import type { CacheOptions } from "../options.ts";
import { RagCacheError } from "../errors.ts";
import type { CachePlugin } from "../options.ts";
import type { UpstreamConfig } from "../openai/options.ts";
import type { CacheLayer } from "../types.ts";
import { envSwitch, envValue, withEnv, type Env, type EnvAlias } from "./env.ts";
import { jsonLogger } from "../log.ts";
import { warnUnknownEnv } from "./known-env.ts";
import { importPlugin, resolvePaths, shapeOf, type PluginModule } from "./plugin-module.ts";
import {
  defaultLayers,
  pluginRefSchema,
  PLUGIN_SWITCHES,
  ragConfigSchema,
  TOP_LEVEL_ENV,
  type PluginRef,
  type RagConfig,
} from "./schema.ts";

export { defaultConfig, defaultLayers, durationSchema, pluginRefSchema, type PluginRef, type RagConfig } from "./schema.ts";
export { envName, envValue, type EnvAlias } from "./env.ts";
export { functionSchema, layerSchema, parseOptions, positiveDurationSchema } from "./plugin-options.ts";
export { BUILT_IN_PLUGINS } from "./built-in.ts";
export type { PluginModule } from "./plugin-module.ts";

export interface LoadConfigOptions {
  /** Environment to read `RAG_*` overrides from. Default `process.env`. */
  env?: Env;
  /** Where relative module and file paths resolve from. Default: the config file's folder, else the working directory. */
  baseDir?: string;
  /** `RAG_*` names the caller reads itself (the server's port, token …): not warned about. */
  knownEnv?: readonly string[];
  /** Where the warning about an unknown `RAG_*` variable goes. Default: a `jsonLogger()` line. */
  warn?: (message: string) => void;
}

interface Issue {
  path: string;
  message: string;
}

/**
 * Validates plain config (env applied) without loading any plugin; throws every problem at once.
 * @example
 * ```ts
 * parseConfig({ layers: [{ use: "memory" }], defaultTtl: "soon" }); // E_CONFIG_INVALID: defaultTtl …
 * ```
 */
export function parseConfig(input: unknown, env: Env = process.env): ParsedConfig {
  const { config, issues } = checkConfig(input, env);
  if (issues.length) throw configError(issues);
  return config;
}

type ParsedConfig = ReturnType<typeof ragConfigSchema.parse>;

/** The config as far as it is valid (plugin references that are well formed), and its problems. */
function checkConfig(input: unknown, env: Env): { config: ParsedConfig; issues: Issue[] } {
  if (!isPlainObject(input))
    return { config: { layers: [], plugins: [] }, issues: [{ path: "", message: "config must be a JSON object" }] };
  const raw: Record<string, unknown> = { ...input };
  for (const [name, option] of Object.entries(TOP_LEVEL_ENV))
    if (env[name] !== undefined) raw[option] = envValue(env[name]!, ragConfigSchema.shape[option]);
  const switchIssues = applySwitches(raw, env);
  if (env.RAG_UPSTREAM_URL)
    raw.upstream = { ...(isPlainObject(raw.upstream) ? raw.upstream : {}), baseURL: env.RAG_UPSTREAM_URL };
  const parsed = ragConfigSchema.safeParse(raw);
  if (parsed.success) return { config: parsed.data, issues: switchIssues };
  const refs = (list: unknown) =>
    (Array.isArray(list) ? list.filter((ref) => pluginRefSchema.safeParse(ref).success) : []) as PluginRef[];
  return {
    config: { layers: refs(raw.layers), plugins: refs(raw.plugins) },
    issues: [...switchIssues, ...parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }))],
  };
}

/** `RAG_ENABLE_…=true` adds its plugin when the config lacks it, `false` removes it. */
function applySwitches(raw: Record<string, unknown>, env: Env): Issue[] {
  const issues: Issue[] = [];
  for (const [name, use] of Object.entries(PLUGIN_SWITCHES)) {
    const on = envSwitch(env[name]);
    if (on === undefined) continue;
    const plugins = (Array.isArray(raw.plugins) ? raw.plugins : []) as { use?: unknown }[];
    if (on === true) raw.plugins = plugins.some((ref) => ref.use === use) ? plugins : [...plugins, { use }];
    else if (on === false) raw.plugins = plugins.filter((ref) => ref.use !== use);
    else issues.push({ path: name, message: `expected true or false, got "${env[name]}"` });
  }
  return issues;
}

/**
 * Reads a JSON file (or takes an object), applies `RAG_*` env vars, imports the plugins it names,
 * validates every plugin's options with the plugin's own schema and builds the layers: the result
 * goes straight into `createCache`. An invalid config fails here with every problem listed.
 * @example
 * ```ts
 * const cache = createCache(await loadConfig("ragcache.json"));
 * ```
 */
export async function loadConfig(
  source?: string | RagConfig,
  options: LoadConfigOptions = {},
): Promise<CacheOptions & { upstream?: UpstreamConfig }> {
  const env = options.env ?? process.env;
  const { resolve, dirname } = await import("node:path");
  let input: unknown = source ?? { layers: defaultLayers(env) };
  let baseDir = options.baseDir ?? process.cwd();
  if (typeof source === "string") {
    const path = resolve(source);
    baseDir = options.baseDir ?? dirname(path);
    input = await readJson(path);
  }
  const { config, issues } = checkConfig(input, env);
  const modules = new Map<string, PluginModule>();
  const applied = new Set<string>();
  const build = async (ref: PluginRef, path: string): Promise<unknown> => {
    const module = await importPlugin(ref.use, baseDir, modules).catch(
      (error: Error) => void issues.push({ path: `${path}.use`, message: error.message }),
    );
    if (!module) return undefined;
    const shape = shapeOf(module.configSchema);
    const fromEnv = withEnv(await resolvePaths(ref, module.pathOptions, baseDir), env, { shape, aliases: module.envAliases });
    for (const name of fromEnv.applied) applied.add(name);
    const { use, export: exportName, ...rawOptions } = fromEnv.ref;
    const factory = factoryOf(module, use, exportName);
    if (!factory)
      return void issues.push({
        path: `${path}.use`,
        message: `"${use}" exports no factory${exportName ? ` named "${exportName}"` : ""}`,
      });
    const checked = module.configSchema?.safeParse(rawOptions);
    if (checked && !checked.success) {
      for (const issue of checked.error.issues) issues.push({ path: [path, ...issue.path].join("."), message: issue.message });
      return undefined;
    }
    const built: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(rawOptions)) {
      built[name] =
        pluginRefSchema.safeParse(value).success && isPlainObject(value)
          ? await build(value as PluginRef, `${path}.${name}`)
          : value;
    }
    try {
      return await factory(built);
    } catch (error) {
      issues.push({ path, message: (error as Error).message });
      return undefined;
    }
  };
  const layers = await Promise.all(config.layers.map((ref, i) => build(ref, `layers.${i}`)));
  const plugins = await Promise.all(config.plugins.map((ref, i) => build(ref, `plugins.${i}`)));
  await warnUnknownEnv(env, [...applied, "RAG_UPSTREAM_URL", ...(options.knownEnv ?? [])], options.warn ?? warnAsJson);
  if (issues.length) {
    await Promise.allSettled(layers.map((layer) => (layer as CacheLayer | undefined)?.close?.()));
    throw configError(issues);
  }
  const { layers: _refs, plugins: _pluginRefs, ...rest } = config;
  return { ...rest, layers: layers as CacheLayer[], plugins: plugins as CachePlugin[] };
}

function warnAsJson(message: string): void {
  jsonLogger().log("warn", { kind: "config", message });
}

async function readJson(path: string): Promise<unknown> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw configError([{ path: "", message: `cannot read ${path}: ${(error as Error).message}` }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw configError([{ path: "", message: `${path} is not valid JSON: ${(error as Error).message}` }]);
  }
}

type Factory = (options: Record<string, unknown>) => unknown;

function factoryOf(module: PluginModule, use: string, exportName?: string): Factory | undefined {
  const named = module[exportName ?? use];
  if (typeof named === "function") return named as Factory;
  if (exportName) return undefined;
  const functions = Object.values(module).filter((value) => typeof value === "function");
  return functions.length === 1 ? (functions[0] as Factory) : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function configError(issues: Issue[]): RagCacheError {
  const list = issues.map((issue) => `  - ${issue.path || "(root)"}: ${issue.message}`).join("\n");
  return new RagCacheError("E_CONFIG_INVALID", `invalid config, ${issues.length} problem(s):\n${list}`, {
    source: "config",
    details: issues,
  });
}
