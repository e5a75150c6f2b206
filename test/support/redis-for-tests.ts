import { afterAll, beforeAll } from "bun:test";
import type { Cache } from "ragcache";
import { startRedis, type RedisServer } from "./redis-server.ts";

/**
 * A Redis for one test file (started in beforeAll, stopped in afterAll) and the chains to close
 * before it stops.
 * @example
 * ```ts
 * const shared = redisForTests();
 * const cache = shared.track(createCache({ layers: [memory(), redis({ url: shared.url })] }));
 * ```
 */
export function redisForTests() {
  let server: RedisServer | undefined;
  const caches: Cache[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await server?.stop();
  });
  return {
    get url(): string {
      if (!server) throw new Error("redisForTests: the server starts in beforeAll; read url inside a test");
      return server.url;
    },
    track(cache: Cache): Cache {
      caches.push(cache);
      return cache;
    },
  };
}
