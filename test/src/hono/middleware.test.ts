import { afterEach, describe, expect, test } from "bun:test";
import { Hono, type Handler } from "hono";
import { createCache, type Cache } from "ragcache";
import { cached, ragcache, type RagCacheMiddlewareOptions } from "ragcache/hono";
import { memory } from "ragcache/memory";
import { chaos, manualClock } from "ragcache/testing";

const caches: Cache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

/** The two forms every behaviour is checked through: `ragcache` in front of the routes, or `cached` around each handler. */
type Form = "middleware" | "handler";
const FORMS: readonly Form[] = ["middleware", "handler"];

/** An app with one route, cached in the given form. */
function cachedApp(form: Form, options: RagCacheMiddlewareOptions, method: string, path: string, handler: Handler): Hono {
  const app = new Hono();
  if (form === "handler") app.on(method, path, cached(options, handler));
  else app.on(method, path, ragcache(options), handler);
  return app;
}

function setup(
  form: Form,
  options: { layers?: Parameters<typeof createCache>[0]["layers"]; grace?: string; now?: () => number } = {},
) {
  const cache = createCache({ layers: options.layers ?? [memory({ name: "l1" }), memory({ name: "l2" })], now: options.now });
  caches.push(cache);
  const app = new Hono();
  let runs = 0;
  let status = 200;
  let extraHeaders: Record<string, string> = {};
  const cacheOptions = { cache, ttl: "1m", grace: options.grace };
  if (form === "middleware") app.use("/rag/*", ragcache(cacheOptions));
  /** A route under /rag/ as the form caches it: the middleware covers it, the handler form wraps it. */
  const mount = (method: string, path: string, handler: Handler) =>
    form === "middleware" ? app.on(method, path, handler) : app.on(method, path, cached(cacheOptions, handler));
  mount("POST", "/rag/query", async (c) => {
    runs++;
    const body = await c.req.json();
    await Bun.sleep(20);
    return c.json({ answer: `about ${body.q}`, run: runs }, status as 200, extraHeaders);
  });
  mount("GET", "/rag/echo", (c) => {
    runs++;
    return c.json({ q: c.req.query(), run: runs }, status as 200, extraHeaders);
  });
  mount("GET", "/rag/throws", () => {
    runs++;
    throw new Error("boom");
  });
  return {
    cache,
    app,
    mount,
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

describe.each(FORMS)("hono, cached through the %s", (form) => {
  test("a first request is a MISS, the same request again a HIT from the first layer with the same body", async () => {
    const { app, runs } = setup(form);
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
    const { app, cache } = setup(form);
    await app.request("/rag/echo");
    await app.request("/rag/echo");
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1 });
  });

  test("the default key ignores JSON field order and query order but not their values", async () => {
    const { app, runs } = setup(form);
    await app.request("/rag/query", post({ q: "a", k: 5 }));
    expect((await app.request("/rag/query", post({ k: 5, q: "a" }))).headers.get("X-Cache")).toBe("HIT");
    expect((await app.request("/rag/query", post({ k: 6, q: "a" }))).headers.get("X-Cache")).toBe("MISS");
    await app.request("/rag/echo?b=2&a=1");
    expect((await app.request("/rag/echo?a=1&b=2")).headers.get("X-Cache")).toBe("HIT");
    expect((await app.request("/rag/echo?a=1&b=3")).headers.get("X-Cache")).toBe("MISS");
    expect(runs()).toBe(4);
  });

  test("a GET without a query, with an empty one and a HEAD share an entry; the path's case does not", async () => {
    const { app, mount, runs } = setup(form);
    mount("GET", "/rag/Echo", (c) => c.json({ upper: true }));
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
    const { app } = setup(form, { layers: [slow] });
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
      const keyed = cachedApp(form, { cache, key }, "GET", "/", (c) => c.text("ok"));
      const response = await keyed.request("/");
      expect([response.status, response.headers.get("X-Cache"), await response.text()]).toEqual([200, "BYPASS", "ok"]);
      expect(errors).toEqual(["hono:key"]);
    }
  });

  test("a hit in a lower layer says so in X-Cache-Layer", async () => {
    const l1 = memory({ name: "l1" });
    const { app } = setup(form, { layers: [l1, memory({ name: "l2" })] });
    await app.request("/rag/echo?q=1");
    l1.clear();
    const response = await app.request("/rag/echo?q=1");
    expect(response.headers.get("X-Cache")).toBe("HIT");
    expect(response.headers.get("X-Cache-Layer")).toBe("l2");
  });

  test("request Cache-Control no-store bypasses the cache, no-cache refreshes it", async () => {
    const { app, runs } = setup(form);
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
    const { app, mount, runs } = setup(form);
    mount("PUT", "/rag/echo", (c) => c.text("put"));
    const response = await app.request("/rag/echo", { method: "PUT" });
    expect(response.headers.get("X-Cache")).toBe("BYPASS");
    expect(await response.text()).toBe("put");
    expect(runs()).toBe(0);
  });

  test("non-2xx responses reach the client as produced and are not cached", async () => {
    const { app, runs, respondWith } = setup(form);
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
    const { app, runs } = setup(form);
    app.onError((error, c) => c.json({ error: error.message }, 500));
    for (let i = 0; i < 2; i++) {
      const response = await app.request("/rag/throws");
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: "boom" });
    }
    expect(runs()).toBe(2);
  });

  test("responses with Set-Cookie or Cache-Control private/no-store are never cached", async () => {
    const { app, runs, respondWith } = setup(form);
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
    const { app, runs, respondWith } = setup(form);
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
    let runs = 0;
    const app = cachedApp(
      form,
      { cache, key: (c) => ({ text: "me", params: { user: c.req.header("authorization") } }) },
      "GET",
      "/me",
      (c) => c.json({ user: c.req.header("authorization"), run: ++runs }, 200, { Vary: "Authorization" }),
    );
    const alice = { headers: { authorization: "Bearer alice" } };
    await app.request("/me", alice);
    const again = await app.request("/me", alice);
    const bob = await app.request("/me", { headers: { authorization: "Bearer bob" } });
    expect(again.headers.get("X-Cache")).toBe("HIT");
    expect(await bob.json()).toEqual({ user: "Bearer bob", run: 2 });
  });

  test("a cached response never replays Set-Cookie or other unsafe headers", async () => {
    const { app, respondWith } = setup(form);
    respondWith(200, { "X-Request-Id": "r1", ETag: '"v1"' });
    const first = await app.request("/rag/echo");
    expect(first.headers.get("X-Request-Id")).toBe("r1");
    const hit = await app.request("/rag/echo");
    expect(hit.headers.get("X-Cache")).toBe("HIT");
    expect(hit.headers.get("ETag")).toBe('"v1"');
    expect(hit.headers.get("X-Request-Id")).toBeNull();
  });

  test("concurrent identical requests run the handler once and all get its response", async () => {
    const { app, runs } = setup(form);
    const responses = await Promise.all(Array.from({ length: 20 }, () => app.request("/rag/query", post({ q: "same" }))));
    expect(runs()).toBe(1);
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(responses.every((r) => r.status === 200 && r.headers.get("X-Cache") === "MISS")).toBe(true);
  });

  test("concurrent requests for a private response each run their own handler", async () => {
    const { app, runs, respondWith } = setup(form);
    respondWith(200, { "Set-Cookie": "session=1" });
    const responses = await Promise.all(Array.from({ length: 3 }, () => app.request("/rag/query", post({ q: "mine" }))));
    expect(runs()).toBe(3);
    expect(responses.every((r) => r.headers.get("Set-Cookie") === "session=1")).toBe(true);
  });

  test("with grace, a failing handler is answered by the expired entry as STALE", async () => {
    const clock = manualClock();
    const { app, respondWith } = setup(form, { grace: "1h", now: clock.now });
    const first = await (await app.request("/rag/echo")).json();
    clock.advance("2m");
    respondWith(500);
    const stale = await app.request("/rag/echo");
    expect(stale.status).toBe(200);
    expect(stale.headers.get("X-Cache")).toBe("STALE");
    expect(stale.headers.get("X-Cache-Layer")).toBe("l1");
    expect(await stale.json()).toEqual(first);
  });

  test("with grace, a handler that throws is answered by the expired entry as STALE; without an entry, by onError", async () => {
    const clock = manualClock();
    const { app, mount } = setup(form, { grace: "1h", now: clock.now });
    let fail = false;
    mount("GET", "/rag/flaky", (c) => {
      if (fail) throw new Error("down");
      return c.json({ ok: true });
    });
    app.onError((error, c) => c.json({ error: error.message }, 500));
    await app.request("/rag/flaky");
    clock.advance("2m");
    fail = true;
    const stale = await app.request("/rag/flaky");
    expect([stale.status, stale.headers.get("X-Cache"), await stale.json()]).toEqual([200, "STALE", { ok: true }]);
    const failed = await app.request("/rag/flaky?other");
    expect([failed.status, await failed.json()]).toEqual([500, { error: "down" }]);
  });

  test("a request whose key the chain refuses (a query past its limits) reaches the handler with BYPASS, never a 500", async () => {
    const { app, cache, runs } = setup(form);
    const errors: string[] = [];
    cache.on("error", (e) => errors.push(`${e.layer}:${e.operation}`));
    const response = await app.request(`/rag/echo?${"a=1&".repeat(5_000)}`);
    expect([response.status, response.headers.get("X-Cache")]).toEqual([200, "BYPASS"]);
    expect(runs()).toBe(1);
    expect(errors).toEqual(["hono:key"]);
  });

  test("X-Cache-Tags from the handler tag the entry and are not sent to the client", async () => {
    const { app, cache, respondWith, runs } = setup(form);
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
    const { app, cache, runs } = setup(form, { layers: [broken] });
    const errors: string[] = [];
    cache.on("error", (e) => errors.push(`${e.layer}:${e.operation}`));
    broken.alwaysThrow(new Error("disk on fire"));
    for (let i = 0; i < 2; i++) expect((await app.request("/rag/echo")).status).toBe(200);
    expect(runs()).toBe(2);
    expect(errors).toContain("broken:get");
  });

  test("binary bodies survive a round trip through the cache", async () => {
    const { app, cache, mount } = setup(form);
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    mount("GET", "/rag/bin", () => new Response(bytes, { headers: { "content-type": "application/octet-stream" } }));
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
    const app = cachedApp(form, { cache }, "GET", "/big", (c) => c.text("x".repeat(500)));
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
    let runs = 0;
    const options: RagCacheMiddlewareOptions = {
      cache,
      namespace: "pages",
      key: (c) => ({ text: c.req.path, params: { tenant: c.req.header("x-tenant") ?? "none" } }),
      tags: (c, stored) => [`tenant:${c.req.header("x-tenant")}`, `status:${stored.status}`],
    };
    const app = cachedApp(form, options, "GET", "/user/:id", (c) => c.json({ id: c.req.param("id"), run: ++runs }));
    const get = (tenant: string, query = "") => app.request(`/user/1${query}`, { headers: { "x-tenant": tenant } });
    await get("a");
    expect((await get("a", "?ignored=1")).headers.get("X-Cache")).toBe("HIT");
    expect((await get("b")).headers.get("X-Cache")).toBe("MISS");
    await cache.invalidateTags(["tenant:a"]);
    expect((await get("a")).headers.get("X-Cache")).toBe("MISS");
    expect((await get("b")).headers.get("X-Cache")).toBe("HIT");
    expect(runs).toBe(3);
  });

  test("a handler that returns no response gets Hono's own answer, never a cached empty 200", async () => {
    const cache = createCache({ layers: [memory()], log: false });
    caches.push(cache);
    const app = cachedApp(form, { cache, ttl: "1m" }, "GET", "/rag/forgot", (() => {}) as unknown as Handler);
    const statuses = [];
    for (let i = 0; i < 2; i++) {
      const response = await app.request("/rag/forgot");
      statuses.push(response.status);
      expect(response.headers.get("X-Cache")).not.toBe("HIT");
    }
    expect(statuses.every((status) => status === 404 || status === 500)).toBe(true);
    expect(cache.stats().sets).toBe(0);
  });

  test("a closed cache passes requests through to the handler with BYPASS", async () => {
    const { app, cache, runs } = setup(form);
    await cache.close();
    const response = await app.request("/rag/echo");
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Cache")).toBe("BYPASS");
    expect(runs()).toBe(1);
  });

  test("over a real socket: headers, HEAD and collapsing behave as through app.request", async () => {
    const { app, runs } = setup(form);
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
