import { afterAll, beforeAll } from "bun:test";
import { Redis } from "ioredis";
import type { Cache } from "ragcache";
import { startRedis, type RedisServer, type StartRedisOptions } from "./redis-server.ts";

/**
 * A Redis for the tests of one file (or one describe), started before them and stopped after, with an
 * admin client to inspect it (INFO, keys) and the chains to close before it stops.
 * @example
 * ```ts
 * const shared = redisForTests();
 * const cache = shared.track(createCache({ layers: [memory(), redis({ url: shared.url })] }));
 * ```
 */
export function redisForTests(options: StartRedisOptions = {}) {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  const caches: Cache[] = [];
  beforeAll(async () => {
    server = await startRedis(options);
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await Promise.allSettled(caches.map((cache) => cache.close()));
    admin?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("redisForTests: the server starts in beforeAll; use it inside a test");
    return value;
  };
  return {
    get server(): RedisServer {
      return started(server);
    },
    get url(): string {
      return started(server).url;
    },
    get admin(): Redis {
      return started(admin);
    },
    track(cache: Cache): Cache {
      caches.push(cache);
      return cache;
    },
  };
}

/**
 * Resolves once every chain's redis layer (at `layer` in its chain) knows another process listens on
 * its bus: until then a chain may think itself alone and take no lock, so that two chains started
 * together could both load. A chain without a bus always locks, and is refused here.
 */
export async function untilPeersMeet(caches: Cache[], layer = 1): Promise<void> {
  const peersOf = (cache: Cache): number | null => {
    const stats = cache.stats().layers[layer];
    if (!stats || !("busPeers" in stats)) throw new Error(`untilPeersMeet: layer ${layer} of a chain has no invalidation bus`);
    return stats.busPeers as number | null;
  };
  const since = performance.now();
  while (!caches.every((cache) => (peersOf(cache) ?? 0) > 0)) {
    if (performance.now() - since > 10_000)
      throw new Error("untilPeersMeet: the chains did not hear each other on the bus within 10 s");
    await Bun.sleep(5);
  }
}
