import { OpenAPIHono } from "@hono/zod-openapi";
import type { Cache } from "../chain/cache.ts";
import { documentTag } from "../rag/index.ts";
import type { Guards } from "./access.ts";
import { deleteEntry, getEntry, invalidate, lookup, putEntry } from "./api.ts";
import { invalidRequest } from "./schemas.ts";

/** The data routes: one entry by namespace and key, lookups, and invalidation. */
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
