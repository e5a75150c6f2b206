import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Cache } from "../chain/cache.ts";
import { RagCacheError, toError } from "../errors.ts";
import { Accounting, type ModelStats, type Usage } from "./accounting.ts";
import { isStoredAnswer, type Endpoint, type Json, type StoredAnswer } from "./answer.ts";
import { embeddingsHandler } from "./embeddings.ts";
import { Flight } from "./flight.ts";
import { upstreamSchema, type UpstreamConfig, type UpstreamInput } from "./options.ts";
import { CHAT_NAMESPACE, planCompletion, type CompletionPlan } from "./plan.ts";
import { replayJson, replayStream } from "./replay.ts";
import { Scopes } from "./scope.ts";
import { merged, passThrough, readCachedRequest } from "./forward.ts";
import { openAIError, Upstream } from "./upstream.ts";

/**
 * What `openAIProxy` takes: the chain answers are cached in, and the upstream (the server's
 * `upstream` config block).
 * @example
 * ```ts
 * openAIProxy({ cache, upstream: { baseURL: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY" } });
 * ```
 */
export interface OpenAIProxyOptions {
  cache: Cache;
  upstream: UpstreamInput | UpstreamConfig;
  /** Where `upstream.apiKeyEnv` is read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Paths under /v1 that the host app serves itself: left to the next handler instead of forwarded. Default none. */
  exceptPaths?: readonly string[];
  /** Runs before every proxied request, e.g. a bearer-token check. Default none. */
  guard?: MiddlewareHandler;
  /** Largest body of a request the proxy reads (chat, completions, embeddings), in bytes. Default 32 MiB. */
  maxBodyBytes?: number;
}

/** The proxy's Hono app, with its per-model counters. */
export interface OpenAIProxy extends Hono {
  /** Requests by outcome, upstream calls, and tokens and cost saved, per model. */
  stats(): Record<string, ModelStats>;
  /** The same as Prometheus text. */
  prometheus(): string;
}

const PATHS: Record<Endpoint, string> = { chat: "/chat/completions", completions: "/completions" };

/**
 * An OpenAI-compatible caching proxy as a Hono app: POST /v1/chat/completions, /v1/completions and
 * /v1/embeddings are answered from the cache (misses go upstream, identical concurrent requests share
 * one call, streams included); every other /v1/* request is forwarded untouched. Responses carry
 * `x-ragcache: HIT | SEMANTIC | MISS | BYPASS`.
 * @example
 * ```ts
 * const app = new Hono();
 * app.route("/", openAIProxy({ cache, upstream: { baseURL: "https://api.openai.com/v1" } }));
 * ```
 */
export function openAIProxy(options: OpenAIProxyOptions): OpenAIProxy {
  const { cache } = options;
  const config = parseUpstream(options.upstream);
  const upstream = new Upstream(config, options.env ?? globalThis.process?.env ?? {});
  const scopes = new Scopes(config.scope);
  const accounting = new Accounting(config.prices);
  const flights = new Map<string, Flight>();
  const except = options.exceptPaths ?? [];
  const app = new Hono();
  const deps = { cache, config, upstream, scopes, accounting };

  if (options.guard) app.use("/v1/*", (c, next) => (isExcepted(c.req.path) ? next() : options.guard!(c, next)));
  const maxSize = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const limit = bodyLimit({
    maxSize,
    onError: () => openAIError(413, `the request body is larger than ${maxSize} bytes`, "invalid_request_error"),
  });
  app.post("/v1/chat/completions", limit, (c) => completion(c, "chat"));
  app.post("/v1/completions", limit, (c) => completion(c, "completions"));
  app.post("/v1/embeddings", limit, embeddingsHandler(deps));
  app.all("/v1/*", (c, next) => (isExcepted(c.req.path) ? next() : passThrough(c, upstream)));

  function isExcepted(path: string): boolean {
    return except.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  }

  async function completion(c: Context, endpoint: Endpoint): Promise<Response> {
    const request = await readCachedRequest(c);
    if (request instanceof Response) return request;
    const { raw, body, model } = request;
    const plan = request.noStore ? "Cache-Control: no-store" : tryPlan(endpoint, body, scopes.of(request.credential));
    if (typeof plan === "string") {
      accounting.count(model, "bypass");
      return passThrough(c, upstream, { path: PATHS[endpoint], body: raw, reason: plan });
    }
    const found = request.noCache ? undefined : await lookup(plan);
    if (found && !found.stale) return serveHit(plan, found.answer, found.similarity);
    return serveMiss(c, plan, raw, found?.answer);
  }

  function tryPlan(endpoint: Endpoint, body: Json, scope: string): CompletionPlan | string {
    try {
      return planCompletion(cache, endpoint, body, scope, config);
    } catch (error) {
      return `not keyable: ${toError(error).message}`;
    }
  }

  async function lookup(
    plan: CompletionPlan,
  ): Promise<{ answer: StoredAnswer; similarity?: number; stale: boolean } | undefined> {
    try {
      const found = await cache.lookup(plan.key, { allowStale: true });
      if (!found || !isStoredAnswer(found.value, plan.endpoint)) return undefined;
      const semantic = found.similarity !== undefined;
      if (semantic && (!config.semantic || plan.key.namespace !== CHAT_NAMESPACE)) return undefined;
      return { answer: found.value, similarity: found.similarity, stale: found.status === "stale" };
    } catch (error) {
      cache.emit("error", { layer: "openai", operation: "lookup", error: toError(error), key: plan.key });
      return undefined;
    }
  }

  function serveHit(plan: CompletionPlan, answer: StoredAnswer, similarity?: number, stale = false): Response {
    const outcome = stale ? "stale" : similarity === undefined ? "hit" : "semantic";
    const headers = new Headers({ "x-ragcache": outcome.toUpperCase() });
    if (similarity !== undefined) headers.set("x-ragcache-similarity", similarity.toFixed(4));
    accounting.count(plan.model, outcome, stale ? undefined : (answer.body.usage as Usage | undefined));
    if (!plan.stream) return replayJson(answer, headers);
    return replayStream(answer, { includeUsage: plan.includeUsage, paced: config.replay === "recorded", headers });
  }

  /** Asks upstream (or joins the identical call in flight); a stale entry answers instead when the upstream is down. */
  async function serveMiss(
    c: Context,
    plan: CompletionPlan,
    raw: Uint8Array<ArrayBuffer>,
    stale?: StoredAnswer,
  ): Promise<Response> {
    let flight = flights.get(plan.key.id);
    const ours = new Headers({ "x-ragcache": "MISS" });
    if (flight) ours.set("x-ragcache-joined", "true");
    else {
      flight = new Flight(upstream, {
        endpoint: plan.endpoint,
        path: PATHS[plan.endpoint],
        headers: c.req.raw.headers,
        body: raw,
        stream: plan.stream,
      });
      flights.set(plan.key.id, flight);
      accounting.upstreamCall(plan.model);
      cache.track(settle(plan, flight));
    }
    if (plan.stream && flight.streaming) {
      const started = await flight.ready;
      if (started) {
        accounting.count(plan.model, "miss");
        return new Response(flight.subscribe(), { headers: merged(started, ours) });
      }
    }
    const outcome = await flight.settled();
    if (stale && outcome.upstreamDown) return serveHit(plan, stale, undefined, true);
    accounting.count(plan.model, "miss");
    if (outcome.answer && flight.streaming !== plan.stream) {
      if (!plan.stream) return Response.json(outcome.answer.body, { headers: ours });
      return replayStream(outcome.answer, { includeUsage: plan.includeUsage, paced: false, headers: ours });
    }
    const response = outcome.respond();
    return new Response(response.body, { status: response.status, headers: merged(response.headers, ours) });
  }

  async function settle(plan: CompletionPlan, flight: Flight): Promise<void> {
    try {
      const { answer } = await flight.outcome;
      if (answer) await cache.set(plan.key, answer, { ttl: config.ttl });
    } catch (error) {
      cache.emit("error", { layer: "openai", operation: "set", error: toError(error), key: plan.key });
    } finally {
      flights.delete(plan.key.id);
    }
  }

  return Object.assign(app, { stats: () => accounting.snapshot(), prometheus: () => accounting.prometheus() });
}

function parseUpstream(input: UpstreamInput | UpstreamConfig): UpstreamConfig {
  const parsed = upstreamSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `upstream.${issue.path.join(".")}: ${issue.message}`);
  throw new RagCacheError("E_CONFIG_INVALID", `invalid upstream options: ${issues.join("; ")}`, { details: parsed.error.issues });
}
