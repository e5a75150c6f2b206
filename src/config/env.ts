import type { PluginRef } from "./schema.ts";

export type Env = Record<string, string | undefined>;

/** An env var's value as config: JSON when it parses ("50", "true", "[1]"), else the raw string. */
export function envValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** "maxConnections" → "MAX_CONNECTIONS"; "./my-layer.ts" → "MY_LAYER". */
export function envName(name: string): string {
  const base = name
    .split("/")
    .pop()!
    .replace(/\.[cm]?[jt]s$/, "");
  return base
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
}

/** "MAX_CONNECTIONS" → "maxConnections". */
export function optionName(env: string): string {
  return env.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Options of one plugin reference with its env vars applied on top: `RAG_<PLUGIN>_<OPTION>` for any
 * option, plus the plugin's own aliases (e.g. `RAG_HEALTH_CHECK_INTERVAL`). Env wins over the file.
 */
export function withEnv(ref: PluginRef, env: Env, aliases: Record<string, string> = {}): PluginRef {
  const prefix = `RAG_${envName(ref.use)}_`;
  const options: Record<string, unknown> = { ...ref };
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined) continue;
    if (name.startsWith(prefix)) options[optionName(name.slice(prefix.length))] = envValue(raw);
    const alias = aliases[name];
    if (alias) options[alias] = envValue(raw);
  }
  return options as PluginRef;
}
