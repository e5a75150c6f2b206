import { z } from "zod";
import { isDuration } from "../duration.ts";
import type { Env } from "./env.ts";
import { upstreamSchema } from "../openai/options.ts";

/** A duration option: ms or "30s", "10m", "1h", "1d". */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).refine(isDuration, {
  message: 'expected a duration: ms, or a string like "500ms", "90s", "1h30m", "2 days"',
});

/** A reference to a plugin in plain config: a built-in name or a module path, plus its options. */
export const pluginRefSchema = z.looseObject({
  use: z.string().min(1),
  /** Which export of a custom module is the factory; default: its only exported function. */
  export: z.string().min(1).optional(),
});

/** A plugin named in plain config: `{ "use": "redis", "url": "redis://…" }` or `{ "use": "./my-layer.ts" }`. */
export type PluginRef = z.infer<typeof pluginRefSchema>;

export const ragConfigSchema = z.strictObject({
  layers: z.array(pluginRefSchema).min(1, "a cache needs at least one layer"),
  plugins: z.array(pluginRefSchema).default([]),
  defaultTtl: durationSchema.optional(),
  defaultGrace: durationSchema.optional(),
  maxTtl: durationSchema.optional(),
  freezeValues: z.boolean().optional(),
  layerTimeout: durationSchema.optional(),
  maxKeyLength: z.number().int().positive().optional(),
  maxValueBytes: z.number().int().positive().optional(),
  sampleEvery: z.number().int().positive().optional(),
  /** An OpenAI-compatible API the server proxies and caches (see ragcache/openai). Default none. */
  upstream: upstreamSchema.optional(),
});

/**
 * The plain (JSON) config `loadConfig` reads: the layers and plugins by name, with their options.
 * @example
 * ```json
 * { "layers": [{ "use": "memory", "max": 10000 }, { "use": "redis", "fallback": { "use": "file" } }], "defaultTtl": "10m" }
 * ```
 */
export type RagConfig = z.input<typeof ragConfigSchema>;

/** The chain used when no config is given: memory in front of files, nothing external needed. */
export const defaultConfig: RagConfig = { layers: [{ use: "memory" }, { use: "file" }] };

/**
 * The default chain as env shapes it, for a start without a config file: memory, then Redis with a
 * file fallback when `RAG_REDIS_URL` is set (else files), then Chroma when `RAG_CHROMA_URL` is set.
 */
export function defaultLayers(env: Env): PluginRef[] {
  return [
    { use: "memory" },
    env.RAG_REDIS_URL ? { use: "redis", fallback: { use: "file" } } : { use: "file" },
    ...(env.RAG_CHROMA_URL ? [{ use: "chroma" }] : []),
  ];
}

/** Env switches that add (`true`) or remove (`false`) a plugin, whatever the config says. */
export const PLUGIN_SWITCHES: Record<string, string> = {
  RAG_ENABLE_ENHANCED_METRICS: "metrics",
  RAG_ENABLE_CACHE_WARMING: "warming",
};

/** Top-level options and the env vars that set them. */
export const TOP_LEVEL_ENV: Record<string, keyof RagConfig> = {
  RAG_DEFAULT_TTL: "defaultTtl",
  RAG_DEFAULT_GRACE: "defaultGrace",
  RAG_MAX_TTL: "maxTtl",
  RAG_FREEZE_VALUES: "freezeValues",
  RAG_LAYER_TIMEOUT: "layerTimeout",
  RAG_MAX_KEY_LENGTH: "maxKeyLength",
  RAG_MAX_VALUE_BYTES: "maxValueBytes",
  RAG_SAMPLE_EVERY: "sampleEvery",
};
