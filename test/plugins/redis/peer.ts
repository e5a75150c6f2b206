/**
 * A second process for the multi-instance tests: a memory L1 over the shared Redis, driven by JSON
 * lines on stdin (`{"op":"get","q":"…"}`), answering one JSON line per command on stdout.
 */
import { createInterface } from "node:readline";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";

const [url, prefix] = process.argv.slice(2);
const cache = createCache({ layers: [memory(), redis({ url, prefix, log: () => {} })] });
const lookup = async (q: string) => (await cache.lookup(q)) ?? null;

type Command = { op: "lookup" | "set" | "delete" | "invalidateTags" | "close"; q?: string; value?: unknown; tags?: string[] };

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command;
  let answer: unknown = null;
  if (command.op === "lookup") answer = await lookup(command.q!);
  else if (command.op === "set") await cache.set(command.q!, command.value, { tags: command.tags });
  else if (command.op === "delete") await cache.delete(command.q!);
  else if (command.op === "invalidateTags") await cache.invalidateTags(command.tags!);
  else {
    await cache.close();
    process.stdout.write("null\n");
    process.exit(0);
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
