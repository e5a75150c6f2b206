import type { ZodType } from "zod";
import { BUILT_IN_PLUGINS, builtInSpecifier } from "./built-in.ts";
import type { EnvAlias } from "./env.ts";
import type { PluginRef } from "./schema.ts";

/** What a plugin module may export besides its factory, for config loading. */
export interface PluginModule {
  configSchema?: ZodType;
  /** Extra env var names for options, e.g. `{ RAG_HEALTH_CHECK_INTERVAL: "healthCheckInterval" }`. */
  envAliases?: Record<string, EnvAlias>;
  /** Options that are file paths: relative ones in a config file resolve from the file's folder. */
  pathOptions?: readonly string[];
  [exported: string]: unknown;
}

/** A plugin's module by built-in name or module path, imported once per load. */
export async function importPlugin(use: string, baseDir: string, cache: Map<string, PluginModule>): Promise<PluginModule> {
  const { resolve } = await import("node:path");
  const builtIn = (BUILT_IN_PLUGINS as readonly string[]).includes(use);
  const specifier = builtIn ? `ragcache/${use}` : use.startsWith(".") ? resolve(baseDir, use) : use;
  if (!cache.has(specifier)) {
    try {
      cache.set(specifier, (await import(specifier)) as PluginModule);
    } catch (error) {
      const hint =
        builtIn !== undefined
          ? ""
          : ` (built-ins: ${BUILT_IN_PLUGINS.join(", ")}; a custom plugin is a module path such as "./my-layer.ts")`;
      throw new Error(`cannot load plugin "${use}": ${(error as Error).message}${hint}`);
    }
  }
  return cache.get(specifier)!;
}

/** The option schemas of a plugin's object schema, if it has one. */
export function shapeOf(schema: ZodType | undefined): Record<string, ZodType> | undefined {
  const shape = (schema as { shape?: unknown } | undefined)?.shape;
  return shape && typeof shape === "object" ? (shape as Record<string, ZodType>) : undefined;
}

/** The reference with its relative path options resolved from `baseDir` (a config file's folder). */
export async function resolvePaths(ref: PluginRef, pathOptions: readonly string[] = [], baseDir: string): Promise<PluginRef> {
  const { isAbsolute, resolve } = await import("node:path");
  const resolved: Record<string, unknown> = { ...ref };
  for (const option of pathOptions) {
    const value = resolved[option];
    if (typeof value === "string" && value !== "" && !isAbsolute(value)) resolved[option] = resolve(baseDir, value);
  }
  return resolved as PluginRef;
}
