import { parseArgs } from "node:util";
import { jsonLogger } from "../log.ts";
import { serveOptionsOf, stopWithParent } from "./server-env.ts";
import { startServer } from "./start.ts";

/**
 * `bun run serve [--config ragcache.json] [--port 8787] [--host 127.0.0.1]`. Flags win over env:
 * RAG_CONFIG, PORT or RAG_PORT, RAG_HOST, RAG_API_TOKEN (bearer token for every route but /health),
 * RAG_PUBLIC_READS, RAG_PUBLIC_METRICS, RAG_ALLOWED_HOSTS, RAG_MAX_BODY_BYTES (see server-env.ts).
 * SIGTERM or SIGINT: stop accepting, finish in-flight requests, close the layers.
 */
const { values } = parseArgs({
  options: { config: { type: "string" }, port: { type: "string" }, host: { type: "string" } },
  strict: true,
});
const env = process.env;
const logger = jsonLogger({ write: (line) => console.log(line) });
const options = (() => {
  try {
    return serveOptionsOf(values, env);
  } catch (error) {
    return fail((error as Error).message);
  }
})();
const server = await startServer(options).catch((error: Error) => fail(error.message));
const reach = options.token
  ? ` (token required${options.publicReads ? ", reads open" : ""}${options.publicMetrics ? ", /metrics open" : ""})`
  : "";
logger.log("info", { kind: "listening", url: server.url, message: `ragcache listening on ${server.url}${reach}` });

const shutdown = async (reason: string) => {
  logger.log("info", { kind: "stopping", message: `${reason}, finishing in-flight requests` });
  await server.stop();
  logger.log("info", { kind: "stopped", message: "stopped" });
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
stopWithParent(env, () => void shutdown("the parent process is gone"));

function fail(message: string): never {
  jsonLogger().log("error", { kind: "start-failed", message });
  process.exit(1);
}
