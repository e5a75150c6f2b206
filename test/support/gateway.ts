import { afterEach } from "bun:test";
import { Hono } from "hono";
import OpenAI from "openai";
import { createCache, type Cache, type CacheLayer, type CacheOptions } from "ragcache";
import { memory } from "ragcache/memory";
import { openAIProxy, type OpenAIProxy, type UpstreamInput } from "ragcache/openai";
import { startTestUpstream, type TestUpstream } from "./openai-upstream.ts";

/** ragcache's OpenAI proxy on a loopback port in front of a test upstream, and an official client pointed at it. */
export interface TestGateway {
  url: string;
  cache: Cache;
  proxy: OpenAIProxy;
  upstream: TestUpstream;
  /** The official SDK, pointed at the proxy, with retries off so every failure is seen once. */
  client: OpenAI;
  /** Another client of the proxy with a different API key. */
  clientWithKey(apiKey: string): OpenAI;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  upstream?: Partial<UpstreamInput>;
  layers?: CacheLayer[];
  env?: Record<string, string>;
  /** More chain options (a clock, a default grace). */
  cache?: Partial<CacheOptions>;
}

export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const upstream = startTestUpstream();
  const cache = createCache({ layers: options.layers ?? [memory()], layerTimeout: "10s", ...options.cache });
  const proxy = openAIProxy({ cache, upstream: { baseURL: upstream.url, ...options.upstream }, env: options.env ?? {} });
  const app = new Hono().route("/", proxy);
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch, idleTimeout: 0 });
  const url = `http://127.0.0.1:${server.port}/v1`;
  const clientWithKey = (apiKey: string) => new OpenAI({ baseURL: url, apiKey, maxRetries: 0 });
  return {
    url,
    cache,
    proxy,
    upstream,
    client: clientWithKey("sk-test-caller"),
    clientWithKey,
    async stop() {
      await server.stop(true);
      await cache.close();
      await upstream.stop();
    },
  };
}

/** `startGateway` for one test file: every gateway it starts is stopped after the test that started it. */
export function gatewaysStoppedAfterEach(): (options?: GatewayOptions) => Promise<TestGateway> {
  const started: TestGateway[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((gateway) => gateway.stop()));
  });
  return async (options) => {
    const gateway = await startGateway(options);
    started.push(gateway);
    return gateway;
  };
}

/** POSTs a chat completion body to the gateway as the SDK's default caller, without the SDK (raw bytes, SSE). */
export function postChat(url: string, payload: unknown): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-test-caller" },
    body: JSON.stringify(payload),
  });
}
