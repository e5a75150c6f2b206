import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { isIP } from "node:net";
import { RagCacheError } from "../errors.ts";

/** Who may call what: one bearer token for every route but /health, with reads or /metrics opened on purpose. */
export interface AccessOptions {
  /** When set, every route except /health needs `Authorization: Bearer <token>`. Default: no token, all open. */
  token?: string;
  /** GET /v1/cache/… and POST /v1/lookup without the token. Default false. */
  publicReads?: boolean;
  /** GET /metrics without the token (a Prometheus scraper can also send it as a bearer token). Default false. */
  publicMetrics?: boolean;
}

/** The middleware in front of each kind of route. */
export interface Guards {
  /** Entry reads and lookups. */
  read: MiddlewareHandler;
  /** Prometheus text. */
  metrics: MiddlewareHandler;
  /** Writes, invalidation, stats, warming. */
  admin: MiddlewareHandler;
}

const open: MiddlewareHandler = (_c, next) => next();

/** The guards for a token and the routes opened on purpose. */
export function guardsOf(options: AccessOptions): Guards {
  if (!options.token) return { read: open, metrics: open, admin: open };
  const admin = bearerAuth({
    token: options.token,
    noAuthenticationHeader: { message: { error: "this route needs Authorization: Bearer <token>" } },
    invalidAuthenticationHeader: { message: { error: "the Authorization header must be Bearer <token>" } },
    invalidToken: { message: { error: "the bearer token is wrong" } },
  });
  return { read: options.publicReads ? open : admin, metrics: options.publicMetrics ? open : admin, admin };
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host to bind or allow, as Host headers carry it: lower case, IPv6 in brackets. Throws on anything else. */
export function normalizeHost(host: string): string {
  const bare = host.trim().replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) === 6) return `[${bare.toLowerCase()}]`;
  if (isIP(bare) === 4 || HOSTNAME.test(bare)) return bare.toLowerCase().replace(/\.$/, "");
  throw new RagCacheError(
    "E_CONFIG_INVALID",
    `"${host}" is not a host name or IP address (use 127.0.0.1 for this machine only, 0.0.0.0 for every interface)`,
    { source: "server" },
  );
}

/** True for names that only ever reach this machine: `localhost`, 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  const normalized = normalizeHost(host);
  return normalized === "localhost" || normalized === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(normalized);
}

/**
 * Refuses requests whose Host is not in the list (421), so a web page whose DNS name was rebound to
 * 127.0.0.1 cannot talk to a server bound to loopback. Loopback literals and `localhost` always pass:
 * a browser that sends them is already on this machine's origin.
 */
export function hostGuard(allowed: readonly string[]): MiddlewareHandler {
  const names = new Set(allowed.map(normalizeHost));
  return async (c, next) => {
    const host = new URL(c.req.url).hostname.toLowerCase();
    if (!names.has(host) && !isLoopbackName(host))
      return c.json({ error: `Host "${host}" is not served here; allowed: ${[...names].join(", ")} (RAG_ALLOWED_HOSTS)` }, 421);
    await next();
  };
}

function isLoopbackName(host: string): boolean {
  try {
    return isLoopback(host);
  } catch {
    return false;
  }
}
