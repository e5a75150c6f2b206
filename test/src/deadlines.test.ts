// Pins src/chain/deadlines.ts (the timer behind every layer call's deadline in layer-call.ts).
import { expect, test } from "bun:test";
import { Deadlines, type Waiting } from "../../src/chain/deadlines.ts";

/** A call that runs `expire` at its deadline. */
function call(expire: () => void): Waiting {
  return { at: 0, done: false, expire };
}

test("calls behind one timer expire once each, after their own deadline; settled ones never", async () => {
  const deadlines = new Deadlines(30);
  const expired: string[] = [];
  const first = call(() => expired.push("first"));
  deadlines.add(first);
  await Bun.sleep(10);
  const settled = call(() => expired.push("settled"));
  const second = call(() => expired.push("second"));
  deadlines.add(settled);
  deadlines.add(second);
  settled.done = true;
  await Bun.sleep(25);
  expect(expired).toEqual(["first"]);
  expect(first.done).toBe(true);
  await Bun.sleep(25);
  expect(expired).toEqual(["first", "second"]);
  expect(second.done).toBe(true);
});

test("thousands of calls settled in order leave nothing to expire", async () => {
  const deadlines = new Deadlines(20);
  let expired = 0;
  for (let i = 0; i < 5_000; i++) {
    const settled = call(() => expired++);
    deadlines.add(settled);
    settled.done = true;
  }
  await Bun.sleep(40);
  expect(expired).toBe(0);
});
