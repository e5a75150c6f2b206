import { parseArgs } from "node:util";
import { startServer } from "./start.ts";

/**
 * `bun run serve [--config ragcache.json] [--port 8787] [--host 127.0.0.1]`. Flags win over env:
 * RAG_CONFIG, PORT or RAG_PORT, RAG_HOST, RAG_API_TOKEN (bearer token for writes and admin routes),
 * RAG_MAX_BODY_BYTES. SIGTERM or SIGINT: stop accepting, finish in-flight requests, close the layers.
 */
const { values } = parseArgs({
  options: { config: { type: "string" }, port: { type: "string" }, host: { type: "string" } },
  strict: true,
});
const env = process.env;
const port = Number(values.port ?? env.PORT ?? env.RAG_PORT ?? 8787);
const maxBodyBytes = env.RAG_MAX_BODY_BYTES === undefined ? undefined : Number(env.RAG_MAX_BODY_BYTES);
if (!Number.isInteger(port) || port < 0 || port > 65_535)
  fail(`the port must be an integer 0-65535, got "${values.port ?? env.PORT ?? env.RAG_PORT}"`);
if (maxBodyBytes !== undefined && !(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0))
  fail(`RAG_MAX_BODY_BYTES must be a positive integer, got "${env.RAG_MAX_BODY_BYTES}"`);

const server = await startServer({
  config: values.config ?? env.RAG_CONFIG,
  port,
  host: values.host ?? env.RAG_HOST,
  token: env.RAG_API_TOKEN || undefined,
  maxBodyBytes,
}).catch((error: Error) => fail(error.message));
console.log(`ragcache listening on ${server.url}${env.RAG_API_TOKEN ? " (token required for writes)" : ""}`);

const shutdown = async (signal: string) => {
  console.log(`ragcache: ${signal}, finishing in-flight requests`);
  await server.stop();
  console.log("ragcache: stopped");
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));

function fail(message: string): never {
  console.error(`ragcache: ${message}`);
  process.exit(1);
}
