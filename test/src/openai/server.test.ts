// Pins the OpenAI proxy's mount in src/server/app.ts, start.ts and admin-routes.ts, and the `upstream` config block.
import { afterEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { chromium } from "playwright-core";
import { startServer, type RunningServer } from "../../../src/server/start.ts";
import { startTestUpstream, type TestUpstream } from "../../support/openai-upstream.ts";

const running: (RunningServer | TestUpstream)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function serve(options: { token?: string; env?: Record<string, string>; upstream?: Record<string, unknown> } = {}) {
  const upstream = startTestUpstream();
  const config = {
    layers: [{ use: "memory" }],
    plugins: [{ use: "metrics" }],
    upstream: { baseURL: upstream.url, ...options.upstream },
  };
  const server = await startServer({ config, port: 0, token: options.token, env: options.env ?? {} });
  running.push(upstream, server);
  return {
    server,
    upstream,
    client: (apiKey = "sk-caller") => new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 }),
  };
}

const ask = { model: "test-model", temperature: 0, messages: [{ role: "user" as const, content: "what is rag?" }] };

describe("server with an upstream", () => {
  test("bun run serve with an upstream answers the OpenAI API from the cache and keeps its own /v1 routes", async () => {
    const { server, upstream, client } = await serve();
    await client().chat.completions.create(ask);
    const hit = await client().chat.completions.create(ask).withResponse();
    expect(hit.response.headers.get("x-ragcache")).toBe("HIT");
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
    const lookup = await fetch(`${server.url}/v1/lookup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "nothing here" }),
    });
    expect(await lookup.json()).toEqual({ hit: false });
    expect(upstream.calls["/v1/lookup"]).toBeUndefined();
  });

  test("every /v1 route of the server's own (feedback, corpus version, jobs …) is answered locally, never forwarded", async () => {
    const { server, upstream } = await serve();
    const own = [
      ["GET", "/v1/cache/default/some-key"],
      ["PUT", "/v1/cache/default/some-key"],
      ["POST", "/v1/lookup"],
      ["POST", "/v1/feedback"],
      ["POST", "/v1/invalidate"],
      ["GET", "/v1/corpus/version"],
      ["POST", "/v1/corpus/version"],
      ["GET", "/v1/warm"],
      ["POST", "/v1/warm"],
    ];
    for (const [method, path] of own) {
      const body = method === "GET" ? undefined : "{}";
      const response = await fetch(`${server.url}${path}`, { method, body, headers: { "content-type": "application/json" } });
      await response.arrayBuffer();
      expect(response.headers.get("x-ragcache")).toBeNull();
    }
    expect(upstream.calls).toEqual({});
  });

  test("/stats and /metrics count requests and the tokens a hit saved, per model", async () => {
    const { server, client } = await serve({ upstream: { prices: { "test-model": { input: 1, output: 2 } } } });
    const first = await client().chat.completions.create(ask);
    await client().chat.completions.create(ask);
    const stats = (await (await fetch(`${server.url}/stats`)).json()) as { gateway: Record<string, Record<string, unknown>> };
    const usage = first.usage!;
    expect(stats.gateway["test-model"]).toMatchObject({
      requests: { hit: 1, miss: 1, semantic: 0, bypass: 0 },
      upstreamCalls: 1,
      savedPromptTokens: usage.prompt_tokens,
      savedCompletionTokens: usage.completion_tokens,
      savedCost: (usage.prompt_tokens * 1 + usage.completion_tokens * 2) / 1_000_000,
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('ragcache_gateway_requests_total{model="test-model",outcome="hit"} 1');
    expect(metrics).toContain(
      `ragcache_gateway_saved_tokens_total{model="test-model",kind="completion"} ${usage.completion_tokens}`,
    );
    expect(metrics).toContain("ragcache_requests_total");
  });

  test("the dashboard shows the hits and tokens saved per model", async () => {
    const { server, client } = await serve();
    const first = await client().chat.completions.create(ask);
    await client().chat.completions.create(ask);
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      const cell = (field: string) => page.textContent(`td[data-layer="test-model"][data-field="${field}"]`);
      await page.waitForSelector('td[data-layer="test-model"][data-field="savedTokens"]');
      expect(await cell("hits")).toBe("1");
      expect(await cell("misses")).toBe("1");
      expect(await cell("savedTokens")).toBe(String(first.usage!.total_tokens));
    } finally {
      await browser.close();
    }
  }, 30_000);

  test("RAG_UPSTREAM_URL sets the upstream", async () => {
    const upstream = startTestUpstream();
    running.push(upstream);
    const server = await startServer({
      config: { layers: [{ use: "memory" }] },
      port: 0,
      env: { RAG_UPSTREAM_URL: upstream.url },
    });
    running.push(server);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk", maxRetries: 0 });
    await client.chat.completions.create(ask);
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("an invalid upstream block fails at start with its path", async () => {
    const start = startServer({
      config: { layers: [{ use: "memory" }], upstream: { baseURL: "ftp://x" } as never },
      port: 0,
      env: {},
    });
    await expect(start).rejects.toThrow(/upstream\.baseURL/);
  });

  test("with a token the proxy asks for it, and sends the configured key upstream", async () => {
    const { client, upstream } = await serve({
      token: "ragcache-token",
      upstream: { apiKeyEnv: "UPSTREAM_KEY" },
      env: { UPSTREAM_KEY: "sk-upstream" },
    });
    const refused = await client("sk-wrong")
      .chat.completions.create(ask)
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 401 });
    expect(upstream.calls["/v1/chat/completions"]).toBeUndefined();
    await client("ragcache-token").chat.completions.create(ask);
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
    expect(upstream.lastHeaders?.get("authorization")).toBe("Bearer sk-upstream");
  });
});
