// What only the handler form, `cached(options, handler)`, promises; every shared behaviour runs through both forms in middleware.test.ts.
import { afterEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createCache, type Cache } from "ragcache";
import { cached } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { chaos } from "ragcache/testing";

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

function track(cache: Cache): Cache {
  caches.push(cache);
  return cache;
}

describe("hono cached handler", () => {
  test("a hit from a memory layer is a Response from app.fetch without a promise; a miss is a promise", async () => {
    const cache = track(createCache({ layers: [memory({ name: "l1" })] }));
    const app = new Hono();
    app.get(
      "/rag",
      cached({ cache }, (c) => c.json({ answer: 42 })),
    );
    const miss = app.fetch(new Request("http://localhost/rag"));
    expect(miss).toBeInstanceOf(Promise);
    expect((await miss).headers.get("X-Cache")).toBe("MISS");
    const hit = app.fetch(new Request("http://localhost/rag"));
    expect(hit).toBeInstanceOf(Response);
    const response = hit as Response;
    expect([response.headers.get("X-Cache"), response.headers.get("X-Cache-Layer"), await response.json()]).toEqual([
      "HIT",
      "l1",
      { answer: 42 },
    ]);
  });

  test("a layer that answers with a promise still replays the hit", async () => {
    const slow = chaos(memory({ name: "slow" }));
    slow.delay(1);
    const cache = track(createCache({ layers: [slow] }));
    const app = new Hono();
    app.get(
      "/rag",
      cached({ cache }, (c) => c.text("slow")),
    );
    await app.request("/rag");
    const hit = app.fetch(new Request("http://localhost/rag"));
    expect(hit).toBeInstanceOf(Promise);
    expect([(await hit).headers.get("X-Cache"), await (await hit).text()]).toEqual(["HIT", "slow"]);
  });

  test("behind the app's own middleware, the handler reads its variables and the hit still replays", async () => {
    const cache = track(createCache({ layers: [memory()] }));
    const app = new Hono<{ Variables: { tenant: string } }>();
    app.use("*", async (c, next) => {
      c.set("tenant", "acme");
      await next();
    });
    let runs = 0;
    app.get(
      "/rag",
      cached({ cache }, (c) => c.json({ tenant: c.get("tenant"), run: ++runs })),
    );
    await app.request("/rag");
    const hit = await app.request("/rag");
    expect([hit.headers.get("X-Cache"), await hit.json()]).toEqual(["HIT", { tenant: "acme", run: 1 }]);
  });

  test("one cached handler on several methods keys and bypasses them as the middleware does", async () => {
    const cache = track(createCache({ layers: [memory()] }));
    const app = new Hono();
    let runs = 0;
    app.on(
      ["GET", "PUT"],
      "/rag",
      cached({ cache }, (c) => c.json({ method: c.req.method, run: ++runs })),
    );
    await app.request("/rag");
    expect((await app.request("/rag")).headers.get("X-Cache")).toBe("HIT");
    const put = await app.request("/rag", { method: "PUT" });
    expect([put.headers.get("X-Cache"), await put.json()]).toEqual(["BYPASS", { method: "PUT", run: 2 }]);
  });

  test("a handler that calls next() gets the app's not-found response, which is not cached", async () => {
    const cache = track(createCache({ layers: [memory()] }));
    const app = new Hono();
    app.notFound((c) => c.text("nothing here", 404));
    app.get(
      "/rag",
      cached({ cache }, async (_c, next) => {
        await next();
      }),
    );
    for (let i = 0; i < 2; i++) {
      const response = await app.request("/rag");
      expect([response.status, response.headers.get("X-Cache"), await response.text()]).toEqual([404, "MISS", "nothing here"]);
    }
  });
});
