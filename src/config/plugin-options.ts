import { z, type ZodType } from "zod";
import { toMs } from "../duration.ts";
import { RagCacheError } from "../errors.ts";
import type { CacheLayer } from "../types.ts";
import { durationSchema } from "./schema.ts";

/** A duration that must be longer than 0 (a timeout of 0 would fail every call at once). */
export const positiveDurationSchema = durationSchema.refine((duration) => toMs(duration) > 0, {
  message: "expected a duration longer than 0",
});

/** A function option (a log sink, a loader): accepted from code, never from JSON. */
export function functionSchema<F extends (...args: never[]) => unknown>() {
  return z.custom<F>((value) => typeof value === "function", { message: "expected a function" });
}

/** A built layer (`file({ … })`) as an option, from code; config names one as `{ "use": "file" }` instead. */
export const layerSchema = z.custom<CacheLayer>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as CacheLayer).name === "string" &&
    typeof (value as CacheLayer).get === "function" &&
    typeof (value as CacheLayer).set === "function",
  { message: "expected a layer (an object with name, get and set), e.g. file()" },
);

/**
 * A plugin factory's options, parsed by the plugin's schema: defaults applied, or every problem in
 * one `E_CONFIG_INVALID`, with the same messages `loadConfig` gives for the same options in JSON.
 * @example
 * const settings = parseOptions(optionsSchema, options, "memory");
 */
export function parseOptions<S extends ZodType>(schema: S, options: unknown, source: string): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(options)"}: ${issue.message}`);
  throw new RagCacheError("E_CONFIG_INVALID", `invalid options: ${problems.join("; ")}`, {
    source: typeof (options as { name?: unknown })?.name === "string" ? (options as { name: string }).name : source,
    details: parsed.error.issues,
  });
}
