import { createCache, type Cache } from "../chain/cache.ts";
import { defaultLayers, loadConfig, type RagConfig } from "../config/index.ts";
import { isLoopback, normalizeHost, type AccessOptions } from "./access.ts";
import { createServerApp } from "./app.ts";
import { listen, type Listener } from "./listen.ts";
import { SERVER_ENV } from "./server-env.ts";

/**
 * The chain of `bun run serve` without a config: memory, then files (or Redis with a file fallback when
 * `RAG_REDIS_URL` is set), then Chroma when `RAG_CHROMA_URL` is set, plus metrics.
 */
export function serverDefaultConfig(env: Record<string, string | undefined> = process.env): RagConfig {
  return { layers: defaultLayers(env), plugins: [{ use: "metrics" }] };
}

export interface StartServerOptions extends AccessOptions {
  /** A config file path or config object. Default `serverDefaultConfig(env)`. */
  config?: string | RagConfig;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default "127.0.0.1": reachable from this machine only. An empty or invalid host is an error. */
  host?: string;
  /**
   * Host names requests may carry besides the bound host and loopback names; others get 421. Bound to
   * loopback the check is always on (DNS rebinding); bound elsewhere, only when this list is given.
   */
  allowedHosts?: readonly string[];
  /** Largest request body, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Environment for `RAG_*` config overrides. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly cache: Cache;
  /** Stop accepting connections, let in-flight requests finish, then close every layer. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The standalone server: the chain from config, its HTTP routes on Bun.serve.
 * @example
 * const server = await startServer({ port: 0, token: process.env.RAG_API_TOKEN });
 * await server.stop();
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const hostname = normalizeHost(options.host ?? "127.0.0.1");
  const allowedHosts =
    isLoopback(hostname) || options.allowedHosts ? [hostname, ...(options.allowedHosts ?? []).map(normalizeHost)] : undefined;
  const env = options.env ?? process.env;
  const cacheOptions = await loadConfig(options.config ?? serverDefaultConfig(env), {
    env,
    knownEnv: ["PORT", ...Object.keys(SERVER_ENV)],
  });
  const cache = createCache(cacheOptions);
  await cache.ready;
  const app = createServerApp({
    ...options,
    cache,
    plugins: cacheOptions.plugins,
    allowedHosts,
    upstream: cacheOptions.upstream,
    env,
  });
  let server: Listener;
  try {
    // A proxied model may think for minutes between streamed chunks: the longest idle time Bun allows.
    const idleTimeout = cacheOptions.upstream ? 255 : undefined;
    server = await listen(app.fetch, options.port ?? 8787, hostname.replace(/^\[(.*)\]$/, "$1"), idleTimeout);
  } catch (error) {
    await cache.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${hostname}:${server.port}`,
    port: server.port,
    cache,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        app.close();
        await cache.close();
      })();
      return stopping;
    },
  };
}
