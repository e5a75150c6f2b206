import { importPeer } from "../peer.ts";

/** A listening HTTP server, whichever runtime serves it. */
export interface Listener {
  readonly hostname: string;
  readonly port: number;
  /** Stop accepting connections and resolve once in-flight requests have finished. */
  stop(): Promise<void>;
}

type Fetch = (request: Request) => Response | Promise<Response>;

/**
 * Serves `fetch` with Bun.serve on Bun, and with @hono/node-server on Node and Deno. `idleTimeout`
 * (seconds, Bun only) bounds how long a connection may stay silent. Default: Bun's 10 s.
 */
export async function listen(fetch: Fetch, port: number, hostname: string, idleTimeout?: number): Promise<Listener> {
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ port, hostname, fetch, idleTimeout });
    return { hostname: server.hostname ?? hostname, port: server.port ?? port, stop: () => server.stop() };
  }
  const { serve } = await importPeer("@hono/node-server", "ragcache serve (outside Bun)", () => import("@hono/node-server"));
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, (info) =>
      resolve({
        hostname,
        port: info.port,
        stop: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ("closeIdleConnections" in server) server.closeIdleConnections();
          }),
      }),
    );
    server.once("error", reject);
  });
}
