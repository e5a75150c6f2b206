import { z } from "zod";
import { isDuration } from "../duration.ts";

/** A duration (ms or "30s"); the config's own schema imports this module, so it is not imported from there. */
const durationSchema = z
  .union([z.number().nonnegative(), z.string()])
  .refine(isDuration, 'expected a duration such as 500 or "30s"');

/** Price of one million tokens of a model, in any currency (USD in the README's examples). */
const priceSchema = z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative().default(0) });

/**
 * The `upstream` block of the server's config, and the options of `openAIProxy`: where misses go and
 * what the proxy caches. Parsed by `upstreamSchema`, so JSON config and code fail the same way.
 */
export const upstreamSchema = z.strictObject({
  /** The upstream's API root including `/v1`, as the OpenAI SDK's `baseURL` (env `RAG_UPSTREAM_URL`). */
  baseURL: z.url({ protocol: /^https?$/, error: "baseURL must be an http(s) URL such as https://api.openai.com/v1" }),
  /**
   * Name of the env var holding the upstream's API key. When set, the proxy sends that key upstream
   * instead of the caller's `Authorization`. Default: the caller's header goes upstream as it came.
   */
  apiKeyEnv: z.string().min(1).optional(),
  /** Budget for the upstream's response headers, and for each gap between streamed chunks. Default "60s". */
  timeout: durationSchema.default("60s"),
  /** How long an answer stays fresh. Default: the chain's `defaultTtl`. */
  ttl: durationSchema.optional(),
  /**
   * Cache requests that ask for sampling (temperature > 0). Default false: such requests pass
   * through. A request without temperature is cached (send one to opt out, or `Cache-Control: no-store`).
   */
  cacheSampled: z.boolean().default(false),
  /**
   * "caller": entries are scoped to a hash of the caller's API key, so callers never see each
   * other's answers. "shared": one scope for every caller. Default "caller".
   */
  scope: z.enum(["caller", "shared"]).default("caller"),
  /** Match the last user message by meaning when a semantic layer is in the chain. Default true. */
  semantic: z.boolean().default(true),
  /** A streamed hit is replayed "instant"ly, or at the "recorded" pace of the original. Default "instant". */
  replay: z.enum(["instant", "recorded"]).default("instant"),
  /** Price per million tokens by model name, for the cost-saved figures. Default none (tokens only). */
  prices: z.record(z.string(), priceSchema).default({}),
});

/** What the `upstream` config block holds, defaults applied. */
export type UpstreamConfig = z.output<typeof upstreamSchema>;
/** What the `upstream` config block accepts. */
export type UpstreamInput = z.input<typeof upstreamSchema>;
