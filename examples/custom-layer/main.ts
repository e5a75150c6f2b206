/**
 * A custom layer plugin, loaded from a JSON config by module path.
 *
 *   bun run examples/custom-layer/main.ts
 *
 * Prints the map layer's log lines: a miss, the write-through, then a hit answered by the memory layer
 * without reaching the map layer; after the memory layer is cleared the map layer answers and the
 * value is back-filled into memory.
 */
import { createCache, loadConfig } from "../../src/index.ts";

const cache = createCache(await loadConfig(new URL("./ragcache.json", import.meta.url).pathname));
cache.on("hit", ({ layer, key }) => console.log(`hit in ${layer} for "${key.text}"`));

const retrieve = async (query: string) => ({ query, docs: ["doc-1", "doc-7"] });
console.log(await cache.getOrSet("What is RAG?", () => retrieve("what is rag?"), { namespace: "retrieval" }));
console.log(await cache.getOrSet("what is  rag?", () => retrieve("what is rag?"), { namespace: "retrieval" }));
await cache.layers[0]!.clear();
console.log(await cache.get("what is rag?", { namespace: "retrieval" }));
console.log(cache.stats().layers);
await cache.close();
