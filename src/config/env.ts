import type { ZodType } from "zod";
import type { PluginRef } from "./schema.ts";

export type Env = Record<string, string | undefined>;

/** An extra env name for one option; `unit: "s"` reads a bare number as seconds of a duration option. */
export type EnvAlias = string | { option: string; unit: "s" };

/**
 * An env var's value as the option's schema takes it: the JSON value when the schema accepts it
 * ("50", "true", "[1]"), else the raw string when the schema accepts that (`RAG_REDIS_PASSWORD=123456`
 * stays a string), else the JSON value, so the schema reports the problem.
 */
export function envValue(raw: string, schema?: ZodType): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (!schema || schema.safeParse(parsed).success || !schema.safeParse(raw).success) return parsed;
  return raw;
}

/**
 * An on/off env value: "true" or "1", "false" or "0" (any case, spaces around ignored); undefined
 * when unset or empty, null when it is anything else (the caller says which variable is wrong).
 */
export function envSwitch(raw: string | undefined): boolean | undefined | null {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === "") return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return null;
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

/** What a plugin module tells the loader about its options. */
export interface PluginEnv {
  /** The options' schemas by name, when the plugin has an object schema: env vars outside it are not applied. */
  shape?: Record<string, ZodType>;
  aliases?: Record<string, EnvAlias>;
}

/** The env names a plugin answers to: `RAG_<PLUGIN>_<OPTION>` for each known option, and its aliases. */
export function envNamesOf(use: string, plugin: PluginEnv): string[] {
  const prefix = `RAG_${envName(use)}_`;
  return [...Object.keys(plugin.shape ?? {}).map((option) => prefix + envName(option)), ...Object.keys(plugin.aliases ?? {})];
}

/**
 * Options of one plugin reference with its env vars applied on top: `RAG_<PLUGIN>_<OPTION>` for each
 * option, plus the plugin's own aliases (e.g. `RAG_HEALTH_CHECK_INTERVAL`). Env wins over the file.
 * Returns the env names it applied; a name under the plugin's prefix that is no option is left out.
 */
export function withEnv(ref: PluginRef, env: Env, plugin: PluginEnv = {}): { ref: PluginRef; applied: string[] } {
  const prefix = `RAG_${envName(ref.use)}_`;
  const options: Record<string, unknown> = { ...ref };
  const applied: string[] = [];
  const set = (name: string, option: string, raw: string) => {
    if (plugin.shape && !(option in plugin.shape)) return;
    options[option] = envValue(raw, plugin.shape?.[option]);
    applied.push(name);
  };
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined) continue;
    if (name.startsWith(prefix)) set(name, optionName(name.slice(prefix.length)), raw);
    const alias = plugin.aliases?.[name];
    if (typeof alias === "string") set(name, alias, raw);
    else if (alias) set(name, alias.option, /^\s*\d+(\.\d+)?\s*$/.test(raw) ? `${raw.trim()}${alias.unit}` : raw);
  }
  return { ref: options as PluginRef, applied };
}

/** The known name closest to `name` by edit distance. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
