import { envSwitch } from "../config/env.ts";
import type { StartServerOptions } from "./start.ts";

/** The server's own env vars (besides the chain's `RAG_*` config), with what each sets. */
export const SERVER_ENV = {
  RAG_CONFIG: "config file path",
  RAG_PORT: "port (PORT too)",
  RAG_HOST: "host to bind",
  RAG_API_TOKEN: "bearer token for every route but /health",
  RAG_PUBLIC_READS: "true: entry reads and lookups without the token",
  RAG_PUBLIC_METRICS: "true: /metrics without the token",
  RAG_ALLOWED_HOSTS: "comma-separated Host names served besides the bound host",
  RAG_MAX_BODY_BYTES: "largest request body",
} as const;

/** Command-line flags of `bun run serve`; they win over env. */
export interface ServeFlags {
  config?: string;
  port?: string;
  host?: string;
}

/** `bun run serve`'s options from flags and env; throws a message naming the variable on a bad value. */
export function serveOptionsOf(flags: ServeFlags, env: Record<string, string | undefined>): StartServerOptions {
  const rawPort = flags.port ?? env.PORT ?? env.RAG_PORT ?? "8787";
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort.trim()) || port > 65_535) throw new Error(`the port must be an integer 0-65535, got "${rawPort}"`);
  const maxBodyBytes = env.RAG_MAX_BODY_BYTES === undefined ? undefined : Number(env.RAG_MAX_BODY_BYTES);
  if (maxBodyBytes !== undefined && !(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0))
    throw new Error(`RAG_MAX_BODY_BYTES must be a positive integer, got "${env.RAG_MAX_BODY_BYTES}"`);
  return {
    config: flags.config ?? env.RAG_CONFIG,
    port,
    host: flags.host ?? env.RAG_HOST,
    token: env.RAG_API_TOKEN || undefined,
    publicReads: flag(env, "RAG_PUBLIC_READS"),
    publicMetrics: flag(env, "RAG_PUBLIC_METRICS"),
    allowedHosts: env.RAG_ALLOWED_HOSTS?.split(",")
      .map((host) => host.trim())
      .filter(Boolean),
    maxBodyBytes,
  };
}

function flag(env: Record<string, string | undefined>, name: string): boolean {
  const on = envSwitch(env[name]);
  if (on === null) throw new Error(`${name} must be true or false, got "${env[name]}"`);
  return on ?? false;
}

/**
 * Under `bun run serve` (or npm run) this process is the child of the package manager's process; if
 * that one is killed outright (SIGKILL, which it cannot forward), stop too rather than keep the port
 * as an orphan. Run directly (`bun src/server/main.ts`, systemd), the parent is not watched.
 */
export function stopWithParent(env: Record<string, string | undefined>, stop: () => void, everyMs = 500): void {
  if (!env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, everyMs);
  timer.unref();
}
