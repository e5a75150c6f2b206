import { startRedis, type RedisServer } from "../../test/support/redis-server.ts";

/** Installs redis-server from Debian when the machine has none, so `bun run bench` needs no manual step. */
export function ensureRedisServer(): void {
  if (Bun.which("redis-server")) return;
  console.error("redis-server is missing; installing it from Debian (apt-get)");
  const run = (args: string[]) =>
    Bun.spawnSync(args, { stdout: "inherit", stderr: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  run(["apt-get", "update"]);
  if (!run(["apt-get", "install", "-y", "redis-server"]).success || !Bun.which("redis-server")) {
    throw new Error(
      "redis-server is not installed and apt-get could not install it; install it (apt-get install redis-server) and rerun",
    );
  }
}

/** A private redis-server on a free loopback port (never the system one, never REDIS_URL: benches flush it). */
export async function benchRedis(): Promise<RedisServer> {
  ensureRedisServer();
  return startRedis({ private: true });
}
