import { afterEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createCache, type Cache } from "ragcache";
import { ragcache } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { chaos, manualClock } from "ragcache/testing";

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

function setup(options: { layers?: Parameters<typeof createCache>[0]["layers"]; grace?: string; now?: () => number } = {}) {
  const cache = createCache({ layers: options.layers ?? [memory({ name: "l1" }), memory({ name: "l2" })], now: options.now });
  caches.push(cache);
  const app = new Hono();
  let runs = 0;
  let status = 200;
  let extraHeaders: Record<string, string> = {};
  app.use("/rag/*", ragcache({ cache, ttl: "1m", grace: options.grace }));
  app.post("/rag/query", async (c) => {
    runs++;
    const body = await c.req.json();
    await Bun.sleep(20);
    return c.json({ answer: `about ${body.q}`, run: runs }, status as 200, extraHeaders);
  });
  app.get("/rag/echo", (c) => {
    runs++;
    return c.json({ q: c.req.query(), run: runs }, status as 200, extraHeaders);
  });
  app.get("/rag/throws", () => {
    runs++;
    throw new Error("boom");
  });
  return {
    cache,
    app,
    runs: () => runs,
    respondWith(nextStatus: number, headers: Record<string, string> = {}) {
      status = nextStatus;
      extraHeaders = headers;
    },
  };
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

describe("hono middleware", () => {
  test("a first request is a MISS, the same request again a HIT from the first layer with the same body", async () => {
    const { app, runs } = setup();
    const first = await app.request("/rag/query", post({ q: "what is rag?" }));
    expect(first.headers.get("X-Cache")).toBe("MISS");
    expect(first.headers.get("X-Cache-Layer")).toBeNull();
    const second = await app.request("/rag/query", post({ q: "what is rag?" }));
    expect(second.headers.get("X-Cache")).toBe("HIT");
    expect(second.headers.get("X-Cache-Layer")).toBe("l1");
    expect(second.headers.get("content-type")).toContain("application/json");
    expect(await second.json()).toEqual(await first.json());
    expect(runs()).toBe(1);
  });

  test("a miss then a hit count as one miss and one hit in the chain's stats", async () => {
    const { app, cache } = setup();
    await app.request("/rag/echo");
    await app.request("/rag/echo");
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1 });
  });

  test("the default key ignores JSON field order and query order but not their values", async () => {
    const { app, runs } = setup();
    await app.request("/rag/query", post({ q: "a", k: 5 }));
    expect((await app.request("/rag/query", post({ k: 5, q: "a" }))).headers.get("X-Cache")).toBe("HIT");
    expect((await app.request("/rag/query", post({ k: 6, q: "a" }))).headers.get("X-Cache")).toBe("MISS");
    await app.request("/rag/echo?b=2&a=1");
    expect((await app.request("/rag/echo?a=1&b=2")).headers.get("X-Cache")).toBe("HIT");
    expect((await app.request("/rag/echo?a=1&b=3")).headers.get("X-Cache")).toBe("MISS");
    expect(runs()).toBe(4);
  });

  test("a GET without a query, with an empty one and a HEAD share an entry; the path's case does not", async () => {
    const { app, runs } = setup();
    app.get("/rag/Echo", (c) => c.json({ upper: true }));
    await app.request("/rag/echo");
    expect((await app.request("/rag/echo?")).headers.get("X-Cache")).toBe("HIT");
    expect((await app.request("/rag/echo", { method: "HEAD" })).headers.get("X-Cache")).toBe("HIT");
    const upper = await app.request("/rag/Echo");
    expect([upper.headers.get("X-Cache"), await upper.json()]).toEqual(["MISS", { upper: true }]);
    expect(runs()).toBe(1);
  });

  test("a layer answering with a promise replays the hit, and a key function that throws or rejects is a BYPASS", async () => {
    const slow = chaos(memory({ name: "slow" }));
    slow.delay(1);
    const { app } = setup({ layers: [slow] });
    await app.request("/rag/echo");
    const hit = await app.request("/rag/echo");
    expect([hit.headers.get("X-Cache"), hit.headers.get("X-Cache-Layer"), (await hit.json()).run]).toEqual(["HIT", "slow", 1]);
    for (const key of [
      () => {
        throw new Error("no key");
      },
      () => Promise.reject(new Error("no key")),
    ]) {
      const cache = createCache({ layers: [memory()] });
      caches.push(cache);
      const errors: string[] = [];
      cache.on("error", (e) => errors.push(`${e.layer}:${e.operation}`));
      const keyed = new Hono();
      keyed.use("*", ragcache({ cache, key }));
      keyed.get("/", (c) => c.text("ok"));
      const response = await keyed.request("/");
      expect([response.status, response.headers.get("X-Cache"), await response.text()]).toEqual([200, "BYPASS", "ok"]);
      expect(errors).toEqual(["hono:key"]);
    }
  });

  test("a hit in a lower layer says so in X-Cache-Layer", async () => {
    const l1 = memory({ name: "l1" });
    const { app } = setup({ layers: [l1, memory({ name: "l2" })] });
    await app.request("/rag/echo?q=1");
    l1.clear();
    const response = await app.request("/rag/echo?q=1");
    expect(response.headers.get("X-Cache")).toBe("HIT");
    expect(response.headers.get("X-Cache-Layer")).toBe("l2");
  });

  test("request Cache-Control no-store bypasses the cache, no-cache refreshes it", async () => {
    const { app, runs } = setup();
    await app.request("/rag/echo");
    const bypassed = await app.request("/rag/echo", { headers: { "Cache-Control": "no-store" } });
    expect(bypassed.headers.get("X-Cache")).toBe("BYPASS");
    expect((await bypassed.json()).run).toBe(2);
    const refreshed = await app.request("/rag/echo", { headers: { "Cache-Control": "no-cache" } });
    expect(refreshed.headers.get("X-Cache")).toBe("MISS");
    expect((await refreshed.json()).run).toBe(3);
    const after = await app.request("/rag/echo");
    expect(after.headers.get("X-Cache")).toBe("HIT");
    expect((await after.json()).run).toBe(3);
    expect(runs()).toBe(3);
  });

  test("methods outside the cached set pass through with BYPASS", async () => {
    const { app, runs } = setup();
    app.put("/rag/echo", (c) => c.text("put"));
    const response = await app.request("/rag/echo", { method: "PUT" });
    expect(response.headers.get("X-Cache")).toBe("BYPASS");
    expect(await response.text()).toBe("put");
    expect(runs()).toBe(0);
  });

  test("non-2xx responses reach the client as produced and are not cached", async () => {
    const { app, runs, respondWith } = setup();
    respondWith(503, { "Retry-After": "1" });
    const failed = await app.request("/rag/echo");
    expect(failed.status).toBe(503);
    expect(failed.headers.get("Retry-After")).toBe("1");
    expect(failed.headers.get("X-Cache")).toBe("MISS");
    respondWith(200);
    const ok = await app.request("/rag/echo");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("X-Cache")).toBe("MISS");
    expect(runs()).toBe(2);
  });

  test("a handler that throws reaches the client as the app's error response and is not cached", async () => {
    const { app, runs } = setup();
    app.onError((error, c) => c.json({ error: error.message }, 500));
    for (let i = 0; i < 2; i++) {
      const response = await app.request("/rag/throws");
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: "boom" });
    }
    expect(runs()).toBe(2);
  });

  test("responses with Set-Cookie or Cache-Control private/no-store are never cached", async () => {
    const { app, runs, respondWith } = setup();
    const cases: Record<string, string>[] = [
      { "Set-Cookie": "session=1" },
      { "Cache-Control": "private, max-age=60" },
      { "Cache-Control": "no-store" },
    ];
    for (const headers of cases) {
      respondWith(200, headers);
      const first = await app.request("/rag/echo");
      const second = await app.request("/rag/echo");
      expect(second.headers.get("X-Cache")).toBe("MISS");
      expect(first.headers.get(Object.keys(headers)[0]!)).toBe(Object.values(headers)[0]!);
    }
    expect(runs()).toBe(6);
  });

  test("with the default key, a request with Authorization passes through and a response with Vary is not stored", async () => {
    const { app, runs, respondWith } = setup();
    await app.request("/rag/echo?who=a", { headers: { authorization: "Bearer alice" } });
    const other = await app.request("/rag/echo?who=a", { headers: { authorization: "Bearer bob" } });
    expect(other.headers.get("X-Cache")).toBe("BYPASS");
    expect(await other.json()).toMatchObject({ run: 2 });
    respondWith(200, { Vary: "Accept-Language" });
    await app.request("/rag/echo?lang", { headers: { "accept-language": "fr" } });
    const english = await app.request("/rag/echo?lang", { headers: { "accept-language": "en" } });
    expect(english.headers.get("X-Cache")).toBe("MISS");
    expect(runs()).toBe(4);
  });

  test("a custom key that includes the credentials caches authorized requests, Vary included", async () => {
    const cache = createCache({ layers: [memory()] });
    caches.push(cache);
    const app = new Hono();
    let runs = 0;
    app.use("/me", ragcache({ cache, key: (c) => ({ text: "me", params: { user: c.req.header("authorization") } }) }));
    app.get("/me", (c) => c.json({ user: c.req.header("authorization"), run: ++runs }, 200, { Vary: "Authorization" }));
    const alice = { headers: { authorization: "Bearer alice" } };
    await app.request("/me", alice);
    const again = await app.request("/me", alice);
    const bob = await app.request("/me", { headers: { authorization: "Bearer bob" } });
    expect(again.headers.get("X-Cache")).toBe("HIT");
    expect(await bob.json()).toEqual({ user: "Bearer bob", run: 2 });
  });

  test("a cached response never replays Set-Cookie or other unsafe headers", async () => {
    const { app, respondWith } = setup();
    respondWith(200, { "X-Request-Id": "r1", ETag: '"v1"' });
    const first = await app.request("/rag/echo");
    expect(first.headers.get("X-Request-Id")).toBe("r1");
    const hit = await app.request("/rag/echo");
    expect(hit.headers.get("X-Cache")).toBe("HIT");
    expect(hit.headers.get("ETag")).toBe('"v1"');
    expect(hit.headers.get("X-Request-Id")).toBeNull();
  });

  test("concurrent identical requests run the handler once and all get its response", async () => {
    const { app, runs } = setup();
    const responses = await Promise.all(Array.from({ length: 20 }, () => app.request("/rag/query", post({ q: "same" }))));
    expect(runs()).toBe(1);
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(responses.every((r) => r.status === 200 && r.headers.get("X-Cache") === "MISS")).toBe(true);
  });

  test("concurrent requests for a private response each run their own handler", async () => {
    const { app, runs, respondWith } = setup();
    respondWith(200, { "Set-Cookie": "session=1" });
    const responses = await Promise.all(Array.from({ length: 3 }, () => app.request("/rag/query", post({ q: "mine" }))));
    expect(runs()).toBe(3);
    expect(responses.every((r) => r.headers.get("Set-Cookie") === "session=1")).toBe(true);
  });

  test("with grace, a failing handler is answered by the expired entry as STALE", async () => {
    const clock = manualClock();
    const { app, respondWith } = setup({ grace: "1h", now: clock.now });
    const first = await (await app.request("/rag/echo")).json();
    clock.advance("2m");
    respondWith(500);
    const stale = await app.request("/rag/echo");
    expect(stale.status).toBe(200);
    expect(stale.headers.get("X-Cache")).toBe("STALE");
    expect(stale.headers.get("X-Cache-Layer")).toBe("l1");
    expect(await stale.json()).toEqual(first);
  });

  test("X-Cache-Tags from the handler tag the entry and are not sent to the client", async () => {
    const { app, cache, respondWith, runs } = setup();
    respondWith(200, { "X-Cache-Tags": "doc:1, doc:2" });
    const first = await app.request("/rag/echo");
    expect(first.headers.get("X-Cache-Tags")).toBeNull();
    expect((await app.request("/rag/echo")).headers.get("X-Cache")).toBe("HIT");
    await cache.invalidateTags(["doc:2"]);
    expect((await app.request("/rag/echo")).headers.get("X-Cache")).toBe("MISS");
    expect(runs()).toBe(2);
  });

  test("a failing cache layer is a miss and an error event, never a failed request", async () => {
    const broken = chaos(memory({ name: "broken" }));
    const { app, cache, runs } = setup({ layers: [broken] });
    const errors: string[] = [];
    cache.on("error", (e) => errors.push(`${e.layer}:${e.operation}`));
    broken.alwaysThrow(new Error("disk on fire"));
    for (let i = 0; i < 2; i++) expect((await app.request("/rag/echo")).status).toBe(200);
    expect(runs()).toBe(2);
    expect(errors).toContain("broken:get");
  });

  test("binary bodies survive a round trip through the cache", async () => {
    const { app, cache } = setup();
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    app.get("/rag/bin", () => new Response(bytes, { headers: { "content-type": "application/octet-stream" } }));
    await app.request("/rag/bin");
    const hit = await app.request("/rag/bin");
    expect(hit.headers.get("X-Cache")).toBe("HIT");
    expect(new Uint8Array(await hit.arrayBuffer())).toEqual(bytes);
    expect(cache.stats().hits).toBe(1);
  });

  test("a response above maxValueBytes reaches the client, is not cached and is reported", async () => {
    const cache = createCache({ layers: [memory()], maxValueBytes: 100 });
    caches.push(cache);
    const errors: string[] = [];
    cache.on("error", (e) => errors.push(`${e.layer}:${e.operation}:${(e.error as { code?: string }).code}`));
    const app = new Hono();
    app.use("*", ragcache({ cache }));
    app.get("/big", (c) => c.text("x".repeat(500)));
    for (let i = 0; i < 2; i++) {
      const response = await app.request("/big");
      expect(response.headers.get("X-Cache")).toBe("MISS");
      expect((await response.text()).length).toBe(500);
    }
    expect(errors).toEqual(["hono:store:E_VALUE_TOO_LARGE", "hono:store:E_VALUE_TOO_LARGE"]);
  });

  test("a custom key and a tags function decide what is shared and how it is invalidated", async () => {
    const cache = createCache({ layers: [memory()] });
    caches.push(cache);
    const app = new Hono();
    let runs = 0;
    app.use(
      "/user/*",
      ragcache({
        cache,
        namespace: "pages",
        key: (c) => ({ text: c.req.path, params: { tenant: c.req.header("x-tenant") ?? "none" } }),
        tags: (c, stored) => [`tenant:${c.req.header("x-tenant")}`, `status:${stored.status}`],
      }),
    );
    app.get("/user/:id", (c) => c.json({ id: c.req.param("id"), run: ++runs }));
    const get = (tenant: string, query = "") => app.request(`/user/1${query}`, { headers: { "x-tenant": tenant } });
    await get("a");
    expect((await get("a", "?ignored=1")).headers.get("X-Cache")).toBe("HIT");
    expect((await get("b")).headers.get("X-Cache")).toBe("MISS");
    await cache.invalidateTags(["tenant:a"]);
    expect((await get("a")).headers.get("X-Cache")).toBe("MISS");
    expect((await get("b")).headers.get("X-Cache")).toBe("HIT");
    expect(runs).toBe(3);
  });

  test("a closed cache passes requests through to the handler with BYPASS", async () => {
    const { app, cache, runs } = setup();
    await cache.close();
    const response = await app.request("/rag/echo");
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Cache")).toBe("BYPASS");
    expect(runs()).toBe(1);
  });

  test("over a real socket: headers, HEAD and collapsing behave as through app.request", async () => {
    const { app, runs } = setup();
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
    try {
      const url = `http://127.0.0.1:${server.port}/rag/query`;
      const responses = await Promise.all(Array.from({ length: 10 }, () => fetch(url, post({ q: "socket" }))));
      expect(runs()).toBe(1);
      expect(responses.every((r) => r.headers.get("X-Cache") === "MISS")).toBe(true);
      const hit = await fetch(url, post({ q: "socket" }));
      expect(hit.headers.get("X-Cache")).toBe("HIT");
      expect((await hit.json()).answer).toBe("about socket");
      await fetch(`http://127.0.0.1:${server.port}/rag/echo`);
      const head = await fetch(`http://127.0.0.1:${server.port}/rag/echo`, { method: "HEAD" });
      expect(head.headers.get("X-Cache")).toBe("HIT");
    } finally {
      await server.stop(true);
    }
  });
});
