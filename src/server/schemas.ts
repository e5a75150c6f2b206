import type { Context, Env } from "hono";
import { z } from "zod";
import { durationSchema } from "../config/index.ts";

const namespace = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a namespace is 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-"');
const params = z.record(z.string(), z.unknown());
const tags = z.array(z.string().min(1).max(256)).max(1_000);
const documentIds = z.array(z.union([z.string().min(1), z.number()])).max(10_000);

export const entryParam = z.object({ namespace, key: z.string().min(1, "the key must not be empty") });

/** `?params=<JSON object>` on GET and DELETE, where there is no body. */
export const entryQuery = z.strictObject({
  params: z
    .string()
    .transform((text, ctx) => {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
      } catch {
        // reported below, like any other non-object
      }
      ctx.addIssue({ code: "custom", message: "params must be a JSON object" });
      return z.NEVER;
    })
    .optional(),
  stale: z.enum(["true", "false"]).optional(),
});

export const putBody = z.strictObject({
  value: z.unknown().refine((value) => value !== undefined, "value is required"),
  ttl: durationSchema.optional(),
  grace: durationSchema.optional(),
  tags: tags.optional(),
  params: params.optional(),
});

export const lookupBody = z.strictObject({
  query: z.string().min(1, "query must not be empty"),
  namespace: namespace.optional(),
  params: params.optional(),
  allowStale: z.boolean().optional(),
});

export const feedbackBody = z.strictObject({
  query: z.string().min(1, "query must not be empty"),
  namespace: namespace.optional(),
  params: params.optional(),
  matchedText: z.string().min(1, "matchedText must not be empty"),
  verdict: z.enum(["wrong", "right"]),
});

/** What POST /v1/feedback answers: the verdict, and the layers that recorded it. */
export const feedbackAnswer = z.object({ recorded: z.enum(["wrong", "right"]), layers: z.array(z.string()) });

export const invalidateBody = z
  .strictObject({
    keys: z
      .array(z.strictObject({ key: z.string().min(1), namespace: namespace.optional(), params: params.optional() }))
      .max(10_000)
      .optional(),
    tags: tags.optional(),
    documents: documentIds.optional(),
  })
  .refine(
    (body) => Boolean(body.keys?.length || body.tags?.length || body.documents?.length),
    "give at least one of keys, tags or documents",
  );

/** POST /v1/<job> (e.g. /v1/warm): `{}` starts a run, `{ "cancel": true }` stops the running one. */
export const jobBody = z.strictObject({ cancel: z.boolean().optional() });

/** Validation failures as 400s listing every problem as `path: message` (the OpenAPI apps' default hook). */
export function invalidRequest(result: { success: boolean; target: string; error?: z.ZodError }, c: Context<Env>) {
  if (result.success || !result.error) return;
  const { target } = result;
  const issues = result.error.issues.map((issue) => ({ path: [target, ...issue.path].join("."), message: issue.message }));
  return c.json({ error: `invalid ${target}`, issues }, 400);
}

export const errorBody = z.object({
  error: z.string(),
  code: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  hint: z.string().optional(),
});

/** How a lookup was answered (`Resolution`). */
export const resolution = z.object({
  value: z.unknown(),
  status: z.enum(["hit", "miss", "stale"]),
  layer: z.string().optional(),
  similarity: z.number().optional(),
  matchedText: z.string().optional(),
});

export const notFound = z.object({ error: z.literal("not found"), namespace: z.string(), key: z.string() });
export const putAnswer = z.object({ id: z.string() });
export const lookupAnswer = z.union([resolution.extend({ hit: z.literal(true) }), z.object({ hit: z.literal(false) })]);
export const invalidateAnswer = z.object({ deleted: z.number().int(), tags: z.array(z.string()) });

const state = z.enum(["up", "degraded", "down"]);
export const healthAnswer = z.object({
  state,
  layers: z.array(z.looseObject({ name: z.string(), state, detail: z.string().optional() })),
});

const recentLatency = z.object({
  samples: z.number().int(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});
export const statsAnswer = z.looseObject({
  at: z.string(),
  hits: z.number(),
  misses: z.number(),
  hitRate: z.number(),
  sets: z.number(),
  deletes: z.number(),
  loads: z.number(),
  errors: z.number(),
  inflight: z.number(),
  layers: z.array(
    z.looseObject({
      name: z.string(),
      hits: z.number(),
      misses: z.number(),
      hitRate: z.number().nullable(),
      latencyMs: recentLatency,
    }),
  ),
  missLatencyMs: recentLatency,
  plugins: z.record(z.string(), z.unknown()),
  jobs: z.array(z.object({ plugin: z.string(), route: z.string() })),
});
export const jobStatus = z.looseObject({ running: z.boolean() });
