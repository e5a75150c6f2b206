#!/usr/bin/env node
/**
 * `ragcache serve [--config f] [--port n] [--host h]` starts the standalone server (Bun.serve on Bun,
 * @hono/node-server on Node); `ragcache warm [...]` runs one warming pass. The sub-command is taken
 * off argv so each command parses its own flags.
 */
import { argv, exit } from "node:process";

const USAGE = `usage: ragcache serve [--config ragcache.json] [--port 8787] [--host 127.0.0.1]
       ragcache warm [--config ragcache.json] [--list warm_queries.json] [--top N] [--concurrency N] [--loader ns=url]`;

const command = argv[2];
argv.splice(2, 1);
if (command === "serve") await import("../src/server/main.ts");
else if (command === "warm") await import("../plugins/warming/cli.ts");
else if (command === "--help" || command === "-h" || command === "help") console.log(USAGE);
else {
  console.error(command ? `ragcache: unknown command "${command}"\n${USAGE}` : USAGE);
  exit(1);
}
