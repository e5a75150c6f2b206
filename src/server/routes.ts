import { OpenAPIHono } from "@hono/zod-openapi";
import type { Cache } from "../chain/cache.ts";
import { documentTag } from "../rag/index.ts";
import type { Guards } from "./access.ts";
import type { CacheLayer } from "../types.ts";
import { deleteEntry, feedback, getEntry, invalidate, lookup, putEntry } from "./api.ts";
import { invalidRequest } from "./schemas.ts";

/** A semantic layer that takes verdicts on its matches (the chroma layer's `feedback`). */
type FeedbackLayer = CacheLayer & { feedback(verdict: unknown): Promise<void> };
const takesFeedback = (layer: CacheLayer): layer is FeedbackLayer =>
  typeof (layer as Partial<FeedbackLayer>).feedback === "function";

/** The data routes: one entry by namespace and key, lookups, feedback on semantic matches, and invalidation. */
export function dataRoutes(cache: Cache, { read, admin }: Guards): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: invalidRequest });

  app.openapi({ ...getEntry, middleware: [read] }, async (c) => {
    const { namespace, key } = c.req.valid("param");
    const { params, stale } = c.req.valid("query");
    const found = await cache.lookup(key, { namespace, params, allowStale: stale === "true" });
    if (!found) return c.json({ error: "not found" as const, namespace, key }, 404);
    return c.json(found, 200);
  });

  app.openapi({ ...putEntry, middleware: [admin] }, async (c) => {
    const { namespace, key } = c.req.valid("param");
    const { value, params, ...options } = c.req.valid("json");
    await cache.set(key, value, { namespace, params, ...options });
    return c.json({ id: cache.key(key, { namespace, params }).id }, 200);
  });

  app.openapi({ ...deleteEntry, middleware: [admin] }, async (c) => {
    const { namespace, key } = c.req.valid("param");
    await cache.delete(key, { namespace, params: c.req.valid("query").params });
    return c.body(null, 204);
  });

  app.openapi({ ...lookup, middleware: [read] }, async (c) => {
    const { query, ...options } = c.req.valid("json");
    const found = await cache.lookup(query, options);
    return c.json(found ? { hit: true as const, ...found } : { hit: false as const }, 200);
  });

  app.openapi({ ...feedback, middleware: [admin] }, async (c) => {
    const layers = cache.layers.filter(takesFeedback);
    if (!layers.length)
      return c.json({ error: "no layer of this cache takes feedback (a semantic layer such as chroma does)" }, 501);
    const verdict = c.req.valid("json");
    try {
      await Promise.all(layers.map((layer) => layer.feedback(verdict)));
    } catch (error) {
      return c.json({ error: `the verdict was not recorded: ${(error as Error).message}` }, 503);
    }
    return c.json({ recorded: verdict.verdict, layers: layers.map((layer) => layer.name) }, 200);
  });

  app.openapi({ ...invalidate, middleware: [admin] }, async (c) => {
    const { keys = [], tags = [], documents = [] } = c.req.valid("json");
    const allTags = [...tags, ...documents.map(documentTag)];
    await Promise.all([
      ...keys.map(({ key, namespace, params }) => cache.delete(key, { namespace, params })),
      cache.invalidateTags(allTags),
    ]);
    return c.json({ deleted: keys.length, tags: allTags }, 200);
  });

  return app;
}
