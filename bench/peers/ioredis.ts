import Redis from "ioredis";
import type { ContenderSpec } from "./types.ts";

/** Raw ioredis and JSON values: the L2 baselines. No loader, no single flight. */
function rawIoredis(autoPipelining: boolean): ContenderSpec {
  return {
    name: autoPipelining ? "raw ioredis (auto-pipelining)" : "raw ioredis (plain)",
    tiers: "redis",
    baseline: true,
    async create({ redisUrl, ttlMs }) {
      const client = new Redis(redisUrl, { enableAutoPipelining: autoPipelining });
      return {
        get: async (key) => {
          const raw = await client.get(key as string);
          return raw === null ? undefined : JSON.parse(raw);
        },
        set: async (key, value) => {
          await client.set(key, JSON.stringify(value), "PX", ttlMs);
        },
        close: async () => void (await client.quit()),
      };
    },
  };
}

/** The baseline under concurrency: auto-pipelining batches the commands of one tick. */
export const rawIoredisPipelined = rawIoredis(true);
/** The baseline for sequential work, where auto-pipelining only adds a tick of delay. */
export const rawIoredisPlain = rawIoredis(false);
