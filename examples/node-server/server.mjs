// A Hono app on Node with ragcache in front of a slow handler: memory (L1) over files (L2).
// Run from a project that installed ragcache, hono and @hono/node-server: `node server.mjs`.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createCache } from "ragcache";
import { file } from "ragcache/file";
import { ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";

const cache = createCache({ layers: [memory({ max: 10_000 }), file({ dir: ".cache/ragcache" })], defaultTtl: "10m" });

const app = new Hono();
app.post("/answer", ragcache({ cache, namespace: "http", ttl: "1h30m" }), async (c) => {
  const { question } = await c.req.json();
  await new Promise((resolve) => setTimeout(resolve, 200)); // the LLM call being cached
  return c.json({ question, answer: `an answer to "${question}"` });
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: "127.0.0.1" }, (info) =>
  console.log(`listening on http://127.0.0.1:${info.port}`),
);
const stop = () => server.close(() => cache.close().then(() => process.exit(0)));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
