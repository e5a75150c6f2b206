// Pins plugins/redis/presence.ts and how plugins/redis/bus.ts uses it.
import { describe, expect, test } from "bun:test";
import { createCache } from "ragcache";
import { memory } from "ragcache/memory";
import { redis } from "ragcache/redis";
import { Presence } from "../../../plugins/redis/presence.ts";
import { redisForTests } from "../../support/redis-for-tests.ts";

describe("bus presence", () => {
  test("a count of no other listener makes a process alone; unknown counts and messages from others do not", () => {
    const presence = new Presence();
    expect(presence.alone).toBe(false);
    presence.counted(0);
    expect(presence.alone).toBe(true);
    presence.heard();
    expect(presence.alone).toBe(false);
    presence.counted(0);
    presence.counted(undefined);
    expect(presence.alone).toBe(false);
  });

  test("a hello answers what was left unpublished, and stops the silence", () => {
    const presence = new Presence();
    presence.counted(0);
    presence.unpublished({ type: "delete", ids: ["default:a"] });
    presence.unpublished({ type: "tags", tags: ["doc:1"] });
    expect(presence.joined()).toEqual([
      { type: "delete", ids: ["default:a"] },
      { type: "tags", tags: ["doc:1"] },
    ]);
    expect(presence.alone).toBe(false);
  });

  test("a count of no other listener asked for before a process was heard does not make it alone", () => {
    const presence = new Presence();
    const askedAt = performance.now();
    presence.heard();
    presence.counted(0, askedAt);
    expect(presence.alone).toBe(false);
    presence.counted(0, performance.now() + 1);
    expect(presence.alone).toBe(true);
  });

  test("more unpublished invalidations than can be kept are answered with one clear", () => {
    const presence = new Presence();
    for (let i = 0; i < 2_000; i++) presence.unpublished({ type: "delete", ids: [`default:${i}`] });
    expect(presence.joined()).toEqual([{ type: "clear" }]);
  });
});

describe("redis layer bus with one process, then two", () => {
  const redisTest = redisForTests({ private: true });

  const publishes = async () => Number(/cmdstat_publish:calls=(\d+)/.exec(await redisTest.admin.info("commandstats"))?.[1] ?? 0);
  const chain = () => createCache({ layers: [memory(), redis({ url: redisTest.url, log: () => {} })] });
  const until = async (check: () => Promise<boolean>) => {
    const started = performance.now();
    while (!(await check())) {
      if (performance.now() - started > 1_000) throw new Error("not seen within 1 s");
      await Bun.sleep(5);
    }
  };

  /** Until a write of `cache` publishes nothing: it knows itself alone. */
  const untilAlone = async (cache: ReturnType<typeof chain>) => {
    await cache.set("warm-up", 0);
    await until(async () => {
      const before = await publishes();
      await cache.set("alone", 1);
      await Bun.sleep(10);
      return (await publishes()) === before;
    });
  };

  test("a process alone publishes no invalidation; once a second one joins, its writes reach it", async () => {
    const first = chain();
    await untilAlone(first);

    const second = chain();
    await second.set("shared", "v1");
    await until(async () => (await second.lookup("shared"))?.layer === "memory");
    await first.set("shared", "v2");
    await until(async () => (await second.get("shared")) === "v2");
    await Promise.all([first.close(), second.close()]);
  });

  test("a process alone takes no lock for its loads; once a second one joins, its loads take the lock again", async () => {
    const lockScripts = async () =>
      [...(await redisTest.admin.info("commandstats")).matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    const flights = (cache: ReturnType<typeof chain>) => cache.stats().layers[1]?.flights as { led: number; solitary: number };
    const first = chain();
    await untilAlone(first);
    const before = await lockScripts();
    let runs = 0;
    const loader = async () => {
      runs++;
      await Bun.sleep(20);
      return "loaded";
    };
    const values = await Promise.all(Array.from({ length: 50 }, () => first.getOrSet("a lone load", loader)));
    expect(values).toEqual(Array(50).fill("loaded"));
    expect(runs).toBe(1);
    expect(await lockScripts()).toBe(before);
    expect(flights(first)).toMatchObject({ led: 0, solitary: 1 });

    const second = chain();
    await second.set("warm-up", 0);
    await until(async () => {
      await first.delete("shared");
      await first.getOrSet("shared", async () => "loaded");
      return flights(first).led > 0;
    });
    await Promise.all([first.close(), second.close()]);
  });
});
