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

/**
 * Pins the redis-server behind `admin` and this process (every thread of both) to one CPU, so work
 * Redis or a client does off the request path (replies to PUBLISH, parsing echoes) is paid on the
 * same core as the requests instead of hiding on an idle one. Answers the CPU, or undefined when
 * taskset is missing.
 */
export async function pinBesideRedis(admin: { info(section: string): Promise<string> }, cpu = 0): Promise<number | undefined> {
  if (!Bun.which("taskset")) return undefined;
  const redisPid = /process_id:(\d+)/.exec(await admin.info("server"))?.[1];
  if (!redisPid) throw new Error("redis-server did not report its process_id");
  for (const pid of [redisPid, String(process.pid)]) {
    const run = Bun.spawnSync(["taskset", "-a", "-pc", String(cpu), pid], { stdout: "ignore", stderr: "pipe" });
    if (!run.success) throw new Error(`taskset could not pin ${pid}: ${run.stderr.toString()}`);
  }
  return cpu;
}

/** Calls per Redis command since the server started (or its last CONFIG RESETSTAT), from INFO commandstats. */
export async function commandCalls(admin: { info(section: string): Promise<string> }): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await admin.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1]!, Number(match[2]));
  return calls;
}
