import type { Context, Env, ValidationTargets } from "hono";
import { zValidator } from "@hono/zod-validator";
import { z, type ZodType } from "zod";
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

/** POST /v1/corpus/version: `{}` bumps to a new version, `{ "version": "v2", "cleanup": true }` to v2, deleting earlier ones. */
export const corpusBody = z.strictObject({
  version: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a corpus version is 1-32 characters of A-Z, a-z, 0-9, "_", "." or "-"')
    .optional(),
  cleanup: z.boolean().optional(),
});

/** POST /v1/warm: `{}` starts a pass, `{ "cancel": true }` stops the running one. */
export const warmBody = z.strictObject({ cancel: z.boolean().optional() });

/** zValidator whose failures are 400s listing every problem as `path: message`. */
export function validate<T extends ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result, c: Context<Env>) => {
    if (result.success) return;
    const issues = result.error.issues.map((issue) => ({ path: [target, ...issue.path].join("."), message: issue.message }));
    return c.json({ error: `invalid ${target}`, issues }, 400);
  });
}
