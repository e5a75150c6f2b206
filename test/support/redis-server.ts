import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** A Redis server for tests: a private child process, or the one REDIS_URL names. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (or REDIS_URL). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True when this is the REDIS_URL server: shared, so `kill` and `restart` are refused. */
  readonly external: boolean;
  /** Shut the server down (SIGTERM) and wait for it; a no-op for REDIS_URL. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the process, for real, and wait until it is gone: the "Redis died" scenario. */
  kill(): Promise<void>;
  /**
   * Start the server again on the same port after `kill` or `stop` and wait until it answers. It
   * comes back empty, unless a client ran SAVE before: then it loads that snapshot (Redis keeping its
   * data across an outage).
   */
  restart(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but answers nothing (a hung Redis: timeouts, not refusals). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
}

export interface StartRedisOptions {
  /**
   * Always start a child process, even when REDIS_URL is set: tests that kill or restart Redis
   * need a server of their own. Default false.
   */
  private?: boolean;
  /** How long to wait for the server to answer PING. Default 10 000 ms. */
  readyTimeoutMs?: number;
  /** Extra redis-server arguments, e.g. `["--cluster-enabled", "yes"]` (implies `private`). Default none. */
  args?: string[];
  /** A config file, passed first (Sentinel needs one it can rewrite). Default none. */
  configFile?: string;
}

const HOST = "127.0.0.1";

/**
 * `startRedis()` → `{ url, port, stop(), kill(), restart() }`. Starts `redis-server` on a free
 * loopback port with persistence off, or uses REDIS_URL when set (unless `private`). Throws a
 * message that says what is missing when no server can be had: tests never skip for lack of Redis.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  if (external && !options.private && !options.args && !options.configFile) return externalServer(external);
  const binary = Bun.which("redis-server");
  if (!binary) {
    throw new Error(
      "redis-server is not on PATH. Install it (`sh scripts/setup.sh test`, or `apt-get install redis-server`)" +
        (options.private
          ? "; this test kills and restarts Redis, so it needs its own server and REDIS_URL is not enough."
          : ", or set REDIS_URL to a Redis the tests may use."),
    );
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "ragcache-redis-"));
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let child: Subprocess | undefined;
  const spawn = async () => {
    const started = Bun.spawn(
      [
        binary,
        ...(options.configFile ? [options.configFile] : []),
        "--port",
        String(port),
        "--bind",
        HOST,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
        "--loglevel",
        "warning",
        "--dir",
        dataDir,
        ...(options.args ?? []),
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    child = started;
    try {
      await waitForPing(port, readyTimeoutMs, () => started.exitCode !== null);
    } catch (error) {
      started.kill("SIGKILL");
      const stderr = await new Response(started.stderr as ReadableStream).text().catch(() => "");
      throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}${stderr ? `\n${stderr}` : ""}`);
    }
  };
  const end = async (signal: "SIGTERM" | "SIGKILL") => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    running.kill("SIGCONT");
    running.kill(signal);
    await running.exited;
  };
  await spawn();
  process.once("exit", () => child?.kill("SIGKILL"));
  return {
    url: `redis://${HOST}:${port}`,
    host: HOST,
    port,
    external: false,
    async stop() {
      await end("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    },
    kill: () => end("SIGKILL"),
    async restart() {
      await end("SIGTERM");
      await spawn();
    },
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
  };
}

function externalServer(url: string): RedisServer {
  const parsed = new URL(url);
  const refuse = async () => {
    throw new Error(
      "the Redis at REDIS_URL is shared and cannot be killed or restarted; call startRedis({ private: true }) for such tests",
    );
  };
  const refuseNow = () => {
    throw new Error("the Redis at REDIS_URL is shared and cannot be paused; call startRedis({ private: true }) for such tests");
  };
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    external: true,
    stop: async () => {},
    kill: refuse,
    restart: refuse,
    pause: refuseNow,
    resume: refuseNow,
  };
}

/** A port the OS just handed out on loopback, released for the server to bind. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error("the process exited");
    if (await ping(port)) return;
    await Bun.sleep(20);
  }
  throw new Error(`no PONG within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/** A Sentinel (redis-server --sentinel) watching `master` under the name `name`, on its own free port. */
export async function startSentinel(master: RedisServer, name = "mymaster"): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "ragcache-sentinel-"));
  const config = join(dir, "sentinel.conf");
  writeFileSync(
    config,
    `sentinel monitor ${name} ${master.host} ${master.port} 1\nsentinel down-after-milliseconds ${name} 60000\n`,
  );
  const sentinel = await startRedis({ configFile: config, args: ["--sentinel"] });
  return { ...sentinel, stop: async () => (await sentinel.stop(), rmSync(dir, { recursive: true, force: true })) };
}
