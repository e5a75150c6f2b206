import { closestName, envNamesOf, type Env } from "./env.ts";
import { BUILT_IN_PLUGINS } from "./built-in.ts";
import { importPlugin, shapeOf, type PluginModule } from "./plugin-module.ts";
import { PLUGIN_SWITCHES, TOP_LEVEL_ENV } from "./schema.ts";

/**
 * Warns about each `RAG_*` variable that no option, plugin or caller reads, naming
 * the closest known one. Never fails: the variable may be the application's own.
 */
export async function warnUnknownEnv(env: Env, used: readonly string[], warn: (message: string) => void): Promise<void> {
  // RAG_CONFIG names the config file for every tool (serve, warm).
  const known = new Set([...used, "RAG_CONFIG", ...Object.keys(TOP_LEVEL_ENV), ...Object.keys(PLUGIN_SWITCHES)]);
  const unknown = Object.keys(env).filter((name) => name.startsWith("RAG_") && !known.has(name));
  if (!unknown.length) return;
  for (const name of await builtInEnvNames()) known.add(name);
  for (const name of unknown) {
    if (known.has(name)) continue;
    warn(`${name} is not a ragcache setting and is ignored; did you mean ${closestName(name, known)}?`);
  }
}

/** Every env name the built-in plugins answer to, whether or not the config uses them. */
async function builtInEnvNames(): Promise<string[]> {
  const modules = new Map<string, PluginModule>();
  const names: string[] = [];
  for (const use of BUILT_IN_PLUGINS) {
    const module = await importPlugin(use, ".", modules).catch(() => undefined);
    if (module) names.push(...envNamesOf(use, { shape: shapeOf(module.configSchema), aliases: module.envAliases }));
  }
  return names;
}
