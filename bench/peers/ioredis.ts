import Redis from "ioredis";
import type { ContenderSpec } from "./types.ts";

/** Raw ioredis with auto-pipelining and JSON values: the L2 baseline. No loader, no single flight. */
export const rawIoredis: ContenderSpec = {
  name: "raw ioredis (auto-pipelining)",
  tiers: "redis",
  baseline: true,
  async create({ redisUrl, ttlMs }) {
    const client = new Redis(redisUrl, { enableAutoPipelining: true });
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
