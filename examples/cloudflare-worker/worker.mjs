// A Cloudflare Worker: Hono with ragcache's middleware over the memory layer (one per isolate).
// `npm run build && npm start` bundles it and serves it with workerd (config.capnp) on :8788;
// `npx wrangler dev` / `npx wrangler deploy` use wrangler.toml instead.
import { Hono } from "hono";
import { createCache } from "ragcache";
import { ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";

const cache = createCache({ layers: [memory({ max: 1_000 })], defaultTtl: "10m" });

const app = new Hono();
app.get("/answer", ragcache({ cache, namespace: "edge", ttl: "90s" }), async (c) => {
  const question = c.req.query("q") ?? "";
  return c.json({ question, answer: `an answer to "${question}"`, computedAt: Date.now() });
});

export default app;
