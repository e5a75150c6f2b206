/**
 * One process of the cross-process single-flight tests: a memory L1 over the shared Redis. Says
 * `{"ready":true}`, waits for a line on stdin, then runs `callers` concurrent getOrSet of one key and
 * reports each loader start (`{"loader":pid}`) and, at the end, `{"values":{json: count},"errors":[…]}`.
 */
import { createInterface } from "node:readline";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { untilPeersMeet } from "../../support/redis-for-tests.ts";

interface WorkerOptions {
  url: string;
  prefix: string;
  callers: number;
  loaderMs: number;
  lockLease?: string;
  lockWait?: string;
  fail?: boolean;
  onHolderError?: "throw" | "load";
}

const options = JSON.parse(process.argv[2]!) as WorkerOptions;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const cache = createCache({
  layers: [
    memory(),
    redis({
      url: options.url,
      prefix: options.prefix,
      lockLease: options.lockLease,
      lockWait: options.lockWait,
      onHolderError: options.onHolderError,
      log: () => {},
    }),
  ],
});
await cache.lookup("warm up the connections");
// Every test runs several workers: ready once this one knows another listens, since a process that
// still thinks it is alone on the bus takes no lock.
await untilPeersMeet([cache]);
say({ ready: true });
for await (const _ of createInterface({ input: process.stdin })) break;

const loader = async () => {
  say({ loader: process.pid });
  await Bun.sleep(options.loaderMs);
  if (options.fail) throw new Error(`loader of ${process.pid} failed`);
  return { by: process.pid };
};
const settled = await Promise.allSettled(
  Array.from({ length: options.callers }, () => cache.getOrSet("the hot question", loader, { ttl: "1m" })),
);
const values: Record<string, number> = {};
const errors: string[] = [];
for (const outcome of settled) {
  if (outcome.status === "rejected") errors.push(String((outcome.reason as Error).message));
  else values[JSON.stringify(outcome.value)] = (values[JSON.stringify(outcome.value)] ?? 0) + 1;
}
say({ values, errors: [...new Set(errors)], failures: errors.length, stats: cache.stats().layers[1]?.flights });
process.exit(0);
