import { createCache, type Cache } from "../chain/cache.ts";
import { defaultConfig, loadConfig, type RagConfig } from "../config/index.ts";
import { createServerApp } from "./app.ts";
import { listen, type Listener } from "./listen.ts";

/** The chain of `bun run serve` without a config: memory in front of files, plus metrics. */
export const serverDefaultConfig: RagConfig = { ...defaultConfig, plugins: [{ use: "metrics" }] };

export interface StartServerOptions {
  /** A config file path or config object. Default `serverDefaultConfig`. */
  config?: string | RagConfig;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default "127.0.0.1": reachable from this machine only. */
  host?: string;
  /** Bearer token for writes and admin routes. Default none (open). */
  token?: string;
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

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const cacheOptions = await loadConfig(options.config ?? serverDefaultConfig, { env: options.env });
  const cache = createCache(cacheOptions);
  await cache.ready;
  const app = createServerApp({ cache, plugins: cacheOptions.plugins, token: options.token, maxBodyBytes: options.maxBodyBytes });
  let server: Listener;
  try {
    server = await listen(app.fetch, options.port ?? 8787, options.host ?? "127.0.0.1");
  } catch (error) {
    await cache.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${server.hostname}:${server.port}`,
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
