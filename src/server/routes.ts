import { OpenAPIHono } from "@hono/zod-openapi";
import type { Cache } from "../chain/cache.ts";
import { documentTag } from "../rag/index.ts";
import type { Guards } from "./access.ts";
import type { Resolution } from "../options.ts";
import type { CacheLayer } from "../types.ts";
import { deleteEntry, feedback, getEntry, invalidate, lookup, putEntry } from "./api.ts";
import { invalidRequest } from "./schemas.ts";

/** A layer that declares the `judge` capability of the contract: a semantic layer taking verdicts on its matches. */
type JudgingLayer = CacheLayer & Required<Pick<CacheLayer, "judge">>;
const judges = (layer: CacheLayer): layer is JudgingLayer => layer.judge !== undefined;

/** The data routes: one entry by namespace and key, lookups, feedback on semantic matches, and invalidation. */
export function dataRoutes(cache: Cache, { read, admin }: Guards): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: invalidRequest });

  app.openapi({ ...getEntry, middleware: [read] }, async (c) => {
    const { namespace, key } = c.req.valid("param");
    const { params, stale } = c.req.valid("query");
    const found = await cache.lookup(key, { namespace, params, allowStale: stale === "true" });
    if (!found) return c.json({ error: "not found" as const, namespace, key }, 404);
    return c.json(withoutKey(found), 200);
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
    return c.json(found ? { hit: true as const, ...withoutKey(found) } : { hit: false as const }, 200);
  });

  app.openapi({ ...feedback, middleware: [admin] }, async (c) => {
    const layers = cache.layers.filter(judges);
    if (!layers.length)
      return c.json({ error: "no layer of this cache takes feedback (a semantic layer such as chroma does)" }, 501);
    const { query, namespace, params, matchedText, verdict } = c.req.valid("json");
    const key = cache.key(query, { namespace, params });
    try {
      await Promise.all(layers.map((layer) => layer.judge(key, matchedText, verdict)));
    } catch (error) {
      return c.json({ error: `the verdict was not recorded: ${(error as Error).message}` }, 503);
    }
    // As cache.reject: the match was back-filled under the query's key, so a wrong one must go from every layer.
    if (verdict === "wrong") await cache.delete(key);
    return c.json({ recorded: verdict, layers: layers.map((layer) => layer.name) }, 200);
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

/** A lookup's answer as the routes show it: the key the caller named stays out of the body. */
const withoutKey = ({ key: _key, ...shown }: Resolution) => shown;
