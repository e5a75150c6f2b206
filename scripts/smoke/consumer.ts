// A strict TypeScript consumer of the packed package: it only has to typecheck.
import { Hono } from "hono";
import { createCache, isRagCacheError, loadConfig, type CacheLayer, type RagConfig } from "ragcache";
import { file } from "ragcache/file";
import { ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { metrics } from "ragcache/metrics";
import { redis } from "ragcache/redis";
import { warming } from "ragcache/warming";

const layers: CacheLayer[] = [memory({ max: 1_000 }), redis({ url: "redis://127.0.0.1:6379", fallback: file() })];
const cache = createCache({ layers, plugins: [metrics(), warming()], defaultTtl: "1h30m" });
const config: RagConfig = { layers: [{ use: "memory" }], defaultTtl: "2 days" };

export const app = new Hono().get("/answer", ragcache({ cache, namespace: "http", ttl: "90s" }), (c) => c.json({ ok: true }));

export async function answer(question: string): Promise<string> {
  const cached = await cache.getOrSet(question, async () => ({ text: question.toUpperCase() }), { ttl: "10m" });
  return cached.text;
}

export async function fromConfig(): Promise<number> {
  try {
    return (await loadConfig(config)).layers.length;
  } catch (error) {
    return isRagCacheError(error, "E_CONFIG_INVALID") ? 0 : -1;
  }
}
