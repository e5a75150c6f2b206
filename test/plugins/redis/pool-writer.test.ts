// Pins the writer connection of plugins/redis/pool.ts with stand-in clients (no Redis needed for what is pinned).
import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import type { Client } from "../../../plugins/redis/connect.ts";
import { Pool } from "../../../plugins/redis/pool.ts";

/** A client that logs each command with its own name and answers it 20 ms later. */
function standIn(name: string, status: string, log: string[]) {
  return Object.assign(new EventEmitter(), {
    status,
    options: {},
    send: (command: string) => {
      log.push(`${command}@${name}`);
      return Bun.sleep(20);
    },
  });
}
type StandIn = ReturnType<typeof standIn>;

function poolOf(clients: StandIn[], onExhausted: () => void = () => {}, maxInFlightPerConnection = 512) {
  const config = { maxInFlightPerConnection, exhaustedAfterMs: 30, connectTimeoutMs: 100, retries: 1, onExhausted };
  return new Pool({ clients: clients as unknown as Client[], ...config });
}
const send = (command: string) => (client: Client) => (client as unknown as StandIn).send(command);

test("the writer stays on its connection while it is up, even when an earlier one comes back", async () => {
  const log: string[] = [];
  const first = standIn("first", "reconnecting", log);
  const second = standIn("second", "ready", log);
  const pool = poolOf([first, second]);
  await pool.run(async () => {});
  const earlier = pool.write(send("SET k 1"));
  first.status = "ready";
  first.emit("ready");
  await Promise.all([earlier, pool.write(send("SET k 2"))]);
  expect(log).toEqual(["SET k 1@second", "SET k 2@second"]);
});

test("changes waiting for a full writer are no pool exhaustion while another connection has room", async () => {
  const log: string[] = [];
  const exhausted: unknown[] = [];
  const pool = poolOf([standIn("a", "ready", log), standIn("b", "ready", log)], () => exhausted.push(1), 1);
  await pool.run(async () => {});
  const changes = [pool.write(send("SET k 1")), pool.write(send("SET k 2")), pool.write(send("SET k 3"))];
  await Bun.sleep(35);
  expect(pool.stats()).toMatchObject({ queued: 1, exhausted: false });
  await Promise.all(changes);
  expect(log).toEqual(["SET k 1@a", "SET k 2@a", "SET k 3@a"]);
  expect(exhausted).toEqual([]);
});
