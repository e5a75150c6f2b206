/**
 * One process of bench/stampede-processes.ts: a contender (by its row name in bench/peers) over the
 * bench's Redis. Says "ready"; each stdin line `go <key>` runs `callers` concurrent get-or-load calls
 * of that key with a `loaderMs` loader and answers `{ runs, wallMs, served }` (wall from the line's
 * arrival); `exit` closes the contender and exits.
 */
import { createInterface } from "node:readline";
import { contenders } from "../peers/index.ts";
import { sleep } from "./measure.ts";

const [name, redisUrl, callers, loaderMs] = process.argv.slice(2);
const spec = contenders.find((contender) => contender.name === name);
if (!spec) throw new Error(`no contender named ${name}`);
const contender = await spec.create({ redisUrl: redisUrl!, l1Max: 1_000, ttlMs: 60_000 });
const value = { answer: "a".repeat(600), sources: ["doc-1", "doc-2"] };
process.stdout.write("ready\n");

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "exit") break;
  const key = line.slice(3);
  const started = performance.now();
  let runs = 0;
  const loader = async () => {
    runs++;
    await sleep(Number(loaderMs));
    return value;
  };
  const answers = await Promise.all(Array.from({ length: Number(callers) }, () => contender.getOrSet!(key, loader)));
  const wallMs = performance.now() - started;
  const served = answers.filter((answer) => answer !== undefined).length;
  process.stdout.write(`${JSON.stringify({ runs, wallMs, served })}\n`);
}
await contender.close();
process.exit(0);
