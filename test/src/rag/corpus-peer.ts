/**
 * The second process of the corpus version test: a RagCache over memory + the shared Redis. Says
 * `"ready"`, then answers each stdin line with its current corpus version as a JSON line.
 */
import { createInterface } from "node:readline";
import { createCache, RagCache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";

const [url, prefix] = process.argv.slice(2);
const cache = createCache({ layers: [memory(), redis({ url, prefix, log: () => {} })] });
// No recheck by time: only the bus can tell this process of a bump.
const rag = new RagCache({ cache, corpus: { version: "v1", recheck: "1h" } });
await rag.corpusVersion();
process.stdout.write(`"ready"\n`);
for await (const _ of createInterface({ input: process.stdin })) {
  process.stdout.write(`${JSON.stringify(await rag.corpusVersion())}\n`);
}
