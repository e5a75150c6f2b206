// Runs under Deno 2 through npm: specifiers, resolved from the project's node_modules (the packed ragcache).
import { Hono } from "npm:hono";
import { createCache, loadConfig } from "npm:ragcache";
import { ragcache } from "npm:ragcache/hono";
import { memory } from "npm:ragcache/memory";

const cache = createCache({ layers: [memory()], defaultTtl: "1h30m" });
let computed = 0;
const app = new Hono().get("/answer", ragcache({ cache, namespace: "http" }), (c) => c.json({ n: ++computed }));
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.fetch);
const url = `http://127.0.0.1:${server.addr.port}/answer?q=deno`;
const marks: string[] = [];
for (let i = 0; i < 2; i++) {
  const response = await fetch(url);
  await response.body?.cancel();
  marks.push(response.headers.get("x-cache") ?? "none");
}
const configured = createCache(await loadConfig({ layers: [{ use: "memory" }], defaultTtl: "2 days" }));
await configured.set("k", "v");
const loaded = await configured.get("k");
await server.shutdown();
await Promise.all([cache.close(), configured.close()]);
const ok = marks.join(" ") === "MISS HIT" && computed === 1 && loaded === "v";
console.log(`deno ${Deno.version.deno}: ${marks.join(" then ")}, handler ran ${computed}x, loadConfig by name: ${loaded}`);
if (!ok) Deno.exit(1);
