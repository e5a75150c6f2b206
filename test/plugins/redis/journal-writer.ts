/**
 * A writer process for the journal tests: a redis layer with a file fallback in `dir`. Prints
 * "ready" once a first write reached Redis; on the line "write <n>" on stdin it sets `journal <i>`
 * to `new <i>` for i < n and prints "acked <n>" once every write was acknowledged; then it waits to
 * be killed.
 */
import { createInterface } from "node:readline";
import { createCache } from "ragcache";
import { file } from "ragcache/file";
import { redis } from "ragcache/redis";

const [url, prefix, dir] = process.argv.slice(2);
const cache = createCache({
  layers: [redis({ url, prefix, commandTimeout: 100, probeInterval: 50, fallback: file({ dir }), log: () => {} })],
});
await cache.set("writer started", true);
process.stdout.write("ready\n");

for await (const line of createInterface({ input: process.stdin })) {
  const count = Number(line.split(" ")[1]);
  for (let i = 0; i < count; i++) await cache.set(`journal ${i}`, `new ${i}`);
  process.stdout.write(`acked ${count}\n`);
}
