// Pins plugins/redis/flight.ts, lock.ts and the fenced write of store.ts with real processes on a real Redis.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { startRedis, type RedisServer } from "../../support/redis-server.ts";

type Line = { ready?: true; loader?: number; values?: Record<string, number>; errors?: string[]; failures?: number };

/** A flight-worker.ts process and the JSON lines it printed so far. */
interface Worker {
  child: Subprocess<"pipe", "pipe", "pipe">;
  lines: Line[];
  /** Resolves with the first line (printed so far or later) that matches. */
  next(match: (line: Line) => boolean): Promise<Line>;
}

let server: RedisServer;
const spawned: Subprocess[] = [];
beforeAll(async () => {
  server = await startRedis({ private: true });
});
afterAll(async () => {
  for (const child of spawned) child.kill("SIGKILL");
  await server?.stop();
});

function spawnWorker(options: object): Worker {
  const child = Bun.spawn(["bun", "run", join(import.meta.dir, "flight-worker.ts"), JSON.stringify(options)], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  spawned.push(child);
  const lines: Line[] = [];
  const listeners = new Set<() => void>();
  (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      buffer += read.value;
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
        lines.push(JSON.parse(buffer.slice(0, end)));
        buffer = buffer.slice(end + 1);
      }
      for (const listener of listeners) listener();
    }
  })();
  const next = (match: (line: Line) => boolean) =>
    new Promise<Line>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (found) return void (listeners.delete(check), resolve(found));
        if (child.exitCode !== null && child.signalCode === null)
          new Response(child.stderr).text().then((stderr) => reject(new Error(`worker exited: ${stderr}`)));
      };
      listeners.add(check);
      check();
    });
  return { child, lines, next };
}

/** `count` workers, each ready, then released at once. */
async function stampede(count: number, options: object): Promise<Worker[]> {
  const prefix = `flight-${crypto.randomUUID()}:`;
  const workers = Array.from({ length: count }, () => spawnWorker({ url: server.url, prefix, ...options }));
  await Promise.all(workers.map((worker) => worker.next((line) => line.ready === true)));
  for (const worker of workers) {
    worker.child.stdin.write("go\n");
    worker.child.stdin.flush();
  }
  return workers;
}

const loaderRuns = (workers: Worker[]) => workers.flatMap((worker) => worker.lines.filter((line) => line.loader)).length;
const result = (worker: Worker) => worker.next((line) => line.values !== undefined);

/** Every caller of each of `workers` got the value of the one that ran the loader among them. */
async function expectEveryCallerGotTheLoadersValue(workers: Worker[], callers: number): Promise<void> {
  const results = await Promise.all(workers.map(result));
  const loading = workers.filter((worker) => worker.lines.some((line) => line.loader));
  expect(loading).toHaveLength(1);
  for (const { values, failures } of results) {
    expect(failures).toBe(0);
    expect(values).toEqual({ [JSON.stringify({ by: loading[0]!.child.pid })]: callers });
  }
}

describe("single flight across processes", () => {
  test("4 processes x 250 concurrent callers of one key with a 200 ms loader: 1 loader run, every caller gets its value", async () => {
    const workers = await stampede(4, { callers: 250, loaderMs: 200 });
    await expectEveryCallerGotTheLoadersValue(workers, 250);
    expect(loaderRuns(workers)).toBe(1);
  });

  test("the holder SIGKILLed mid-load: exactly one takeover run once its lease expires, every other caller gets a value", async () => {
    const workers = await stampede(4, { callers: 250, loaderMs: 600, lockLease: "300ms" });
    const [first] = await Promise.race(workers.map((worker) => worker.next((line) => !!line.loader).then(() => [worker])));
    await Bun.sleep(100);
    first!.child.kill("SIGKILL");
    await expectEveryCallerGotTheLoadersValue(
      workers.filter((worker) => worker !== first),
      250,
    );
    expect(loaderRuns(workers)).toBe(2);
  });

  test("the holder's loader fails: the waiting processes get its error, or by option run their own", async () => {
    const failing = await stampede(3, { callers: 50, loaderMs: 150, fail: true });
    const results = await Promise.all(failing.map(result));
    expect(loaderRuns(failing)).toBe(1);
    for (const { failures, errors } of results) {
      expect(failures).toBe(50);
      expect(errors).toHaveLength(1);
      expect(errors![0]).toMatch(/loader of \d+ failed/);
    }
    const ownRuns = await stampede(3, { callers: 50, loaderMs: 150, fail: true, onHolderError: "load" });
    await Promise.all(ownRuns.map(result));
    expect(loaderRuns(ownRuns)).toBe(3);
  });

  test("Redis SIGKILLed while a process holds the lock: every caller still gets a value", async () => {
    const workers = await stampede(4, { callers: 250, loaderMs: 500 });
    await Promise.race(workers.map((worker) => worker.next((line) => !!line.loader)));
    await Bun.sleep(100);
    await server.kill();
    const results = await Promise.all(workers.map(result));
    for (const { values, failures } of results) {
      expect(failures).toBe(0);
      expect(Object.values(values!).reduce((sum, count) => sum + count, 0)).toBe(250);
    }
    await server.restart();
  });
});
