import { Hono } from "hono";
import type { Cache } from "../chain/cache.ts";
import { documentTag } from "../rag/index.ts";
import type { Guards } from "./access.ts";
import { entryParam, entryQuery, invalidateBody, lookupBody, putBody, validate } from "./schemas.ts";

/** The data routes: one entry by namespace and key, lookups, and invalidation. */
export function dataRoutes(cache: Cache, { read, admin }: Guards): Hono {
  const app = new Hono();

  app.get("/v1/cache/:namespace/:key", read, validate("param", entryParam), validate("query", entryQuery), async (c) => {
    const { namespace, key } = c.req.valid("param");
    const { params, stale } = c.req.valid("query");
    const found = await cache.lookup(key, { namespace, params, allowStale: stale === "true" });
    if (!found) return c.json({ error: "not found", namespace, key }, 404);
    return c.json(found);
  });

  app.put("/v1/cache/:namespace/:key", admin, validate("param", entryParam), validate("json", putBody), async (c) => {
    const { namespace, key } = c.req.valid("param");
    const { value, params, ...options } = c.req.valid("json");
    await cache.set(key, value, { namespace, params, ...options });
    return c.json({ id: cache.key(key, { namespace, params }).id }, 200);
  });

  app.delete("/v1/cache/:namespace/:key", admin, validate("param", entryParam), validate("query", entryQuery), async (c) => {
    const { namespace, key } = c.req.valid("param");
    await cache.delete(key, { namespace, params: c.req.valid("query").params });
    return c.body(null, 204);
  });

  app.post("/v1/lookup", read, validate("json", lookupBody), async (c) => {
    const { query, ...options } = c.req.valid("json");
    const found = await cache.lookup(query, options);
    return c.json(found ? { hit: true, ...found } : { hit: false });
  });

  app.post("/v1/invalidate", admin, validate("json", invalidateBody), async (c) => {
    const { keys = [], tags = [], documents = [] } = c.req.valid("json");
    const allTags = [...tags, ...documents.map(documentTag)];
    await Promise.all([
      ...keys.map(({ key, namespace, params }) => cache.delete(key, { namespace, params })),
      cache.invalidateTags(allTags),
    ]);
    return c.json({ deleted: keys.length, tags: allTags });
  });

  return app;
}
