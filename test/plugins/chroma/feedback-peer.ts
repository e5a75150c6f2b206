/**
 * A second process for the feedback test across processes: memory over a shared Redis over a shared
 * Chroma collection, driven by JSON lines on stdin (`{"op":"lookup","q":"…"}`), one JSON line out per command.
 */
import { createInterface } from "node:readline";
import { createCache } from "ragcache";
import { chroma } from "ragcache/chroma";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";

const [redisUrl, prefix, chromaUrl, collection] = process.argv.slice(2);
const cache = createCache({
  layers: [memory(), redis({ url: redisUrl, prefix, log: () => {} }), chroma({ url: chromaUrl, collection, timeout: "5s" })],
  layerTimeout: "10s",
  log: false,
});

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { op: "lookup" | "close"; q?: string };
  if (command.op === "close") {
    await cache.close();
    process.stdout.write("null\n");
    process.exit(0);
  }
  const found = await cache.lookup(command.q!);
  process.stdout.write(`${JSON.stringify(found ? { value: found.value, layer: found.layer } : null)}\n`);
}
