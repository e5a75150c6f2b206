import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { redisDriver } from "bentocache/drivers/redis";
import type { ContenderSetup, ContenderSpec, Tiers } from "./types.ts";

/** bentocache with its defaults (its memory tier serializes entries unless told otherwise). */
function bentocache(tiers: Extract<Tiers, "memory" | "memory+redis">): ContenderSpec {
  return {
    name: `bentocache (${tiers})`,
    tiers,
    async create({ redisUrl, l1Max, ttlMs }: ContenderSetup) {
      const store = bentostore().useL1Layer(memoryDriver({ maxItems: l1Max }));
      if (tiers === "memory+redis") {
        const { hostname, port } = new URL(redisUrl);
        store.useL2Layer(redisDriver({ connection: { host: hostname, port: Number(port) } }));
      }
      const bento = new BentoCache({ default: "bench", stores: { bench: store }, ttl: ttlMs });
      return {
        get: (key) => bento.get({ key: key as string }),
        set: (key, value) => bento.set({ key, value }),
        getOrSet: (key, loader) => bento.getOrSet({ key, factory: loader }),
        close: () => bento.disconnectAll(),
      };
    },
  };
}

export const bentocacheMemory = bentocache("memory");
export const bentocacheRedis = bentocache("memory+redis");
