import { sha256Hex } from "../../src/index.ts";

/**
 * A loopback server that speaks enough of the OpenAI API for the gateway tests: chat completions
 * (plain, streamed, with a tool call), legacy completions, embeddings and GET /v1/models. Answers are
 * deterministic functions of the request body (ids included), so a response read through the proxy
 * can be compared byte for byte with one read directly. `behave` makes it fail on demand.
 */
export interface TestUpstream {
  /** Base URL including /v1, as the OpenAI SDK takes it. */
  readonly url: string;
  /** Requests received, per path ("/v1/chat/completions" …). */
  readonly calls: Record<string, number>;
  /** Every request body received, in order. */
  readonly bodies: Record<string, unknown>[];
  /** Streams sent to their end ([DONE] written). */
  readonly finishedStreams: () => number;
  /** Headers of the last request. */
  lastHeaders?: Headers;
  /** Set what the next requests do; `reset()` restores normal answers and zeroes the counts. */
  behave(behaviour: Behaviour): void;
  reset(): void;
  stop(): Promise<void>;
}

export interface Behaviour {
  /** Answer every request with this status and an OpenAI-style error body. */
  status?: number;
  /** Never answer (the proxy's timeout must fire). */
  hang?: boolean;
  /** Stream this many chunks, then end the response without [DONE]. */
  cutAfter?: number;
  /** Stream this many chunks, then stall forever. */
  stallAfter?: number;
  /** Wait between streamed chunks, in ms. */
  chunkDelayMs?: number;
  /** Wait before the response headers, in ms. */
  headerDelayMs?: number;
}

type Body = Record<string, unknown>;
const CREATED = 1_700_000_000;

/** The answer text the upstream gives for a chat request: a function of its last message. */
export function answerOf(body: Body): string {
  const messages = body.messages as { content: string }[];
  return `The answer to "${messages.at(-1)?.content}" is forty two, from ${body.model}.`;
}

/** The vector the upstream gives for one input: 8 numbers (or `dimensions`) derived from the text. */
export function vectorOf(input: string, dimensions = 8): number[] {
  const digest = sha256Hex(input);
  return Array.from({ length: dimensions }, (_, i) => parseInt(digest.slice((i * 4) % 32, ((i * 4) % 32) + 4), 16) / 65_535);
}

export function startTestUpstream(): TestUpstream {
  let behaviour: Behaviour = {};
  let finished = 0;
  const calls: Record<string, number> = {};
  const bodies: Body[] = [];
  const state: TestUpstream = {
    url: "",
    calls,
    bodies,
    finishedStreams: () => finished,
    behave: (next) => void (behaviour = next),
    reset() {
      behaviour = {};
      finished = 0;
      for (const path of Object.keys(calls)) delete calls[path];
      bodies.length = 0;
    },
    stop: async () => void server.stop(true),
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      calls[path] = (calls[path] ?? 0) + 1;
      state.lastHeaders = request.headers;
      const body = request.method === "POST" ? ((await request.json()) as Body) : {};
      bodies.push(body);
      if (behaviour.hang) return new Promise<Response>(() => {});
      if (behaviour.headerDelayMs) await Bun.sleep(behaviour.headerDelayMs);
      if (behaviour.status) {
        return Response.json(
          { error: { message: `test upstream failure ${behaviour.status}`, type: "test" } },
          { status: behaviour.status },
        );
      }
      if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: "test-model", object: "model" }] });
      if (path === "/v1/embeddings") return Response.json(embeddings(body));
      if (path === "/v1/chat/completions")
        return body.stream ? sse(chatChunks(body), behaviour, () => finished++) : Response.json(chat(body));
      if (path === "/v1/completions")
        return body.stream ? sse(completionChunks(body), behaviour, () => finished++) : Response.json(completion(body));
      return Response.json({ error: { message: `no route ${path}` } }, { status: 404 });
    },
  });
  return Object.assign(state, { url: `http://127.0.0.1:${server.port}/v1` });
}

function idOf(prefix: string, body: Body): string {
  return `${prefix}-${sha256Hex(JSON.stringify(body)).slice(0, 16)}`;
}

function usageOf(body: Body, text: string): Body {
  const prompt_tokens = JSON.stringify(body.messages ?? body.prompt).split(/\s+/).length;
  const completion_tokens = text.split(/\s+/).length;
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function toolOf(body: Body): { name: string; arguments: string } | undefined {
  const tools = body.tools as { function: { name: string } }[] | undefined;
  const name = tools?.[0]?.function.name;
  return name ? { name, arguments: JSON.stringify({ query: answerOf(body).slice(0, 24) }) } : undefined;
}

function chat(body: Body) {
  const text = answerOf(body);
  const tool = toolOf(body);
  const message = tool
    ? { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: tool }] }
    : { role: "assistant", content: text, refusal: null };
  return {
    id: idOf("chatcmpl", body),
    object: "chat.completion",
    created: CREATED,
    model: body.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: tool ? "tool_calls" : "stop" }],
    usage: usageOf(body, text),
  };
}

function chatChunks(body: Body): Body[] {
  const head = { id: idOf("chatcmpl", body), object: "chat.completion.chunk", created: CREATED, model: body.model };
  const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
  const usage = withUsage ? { usage: null } : {};
  const chunk = (delta: Body, finish_reason: string | null = null) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
    ...usage,
  });
  const tool = toolOf(body);
  const text = answerOf(body);
  const deltas: Body[] = tool
    ? [
        chunk({
          role: "assistant",
          content: null,
          tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: tool.name, arguments: "" } }],
        }),
        ...splitIn(tool.arguments, 3).map((part) => chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] })),
        chunk({}, "tool_calls"),
      ]
    : [chunk({ role: "assistant", content: "" }), ...words(text).map((word) => chunk({ content: word })), chunk({}, "stop")];
  if (withUsage) deltas.push({ ...head, choices: [], usage: usageOf(body, text) });
  return deltas;
}

function completion(body: Body) {
  const text = ` continued: ${body.prompt}`;
  return {
    id: idOf("cmpl", body),
    object: "text_completion",
    created: CREATED,
    model: body.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: "stop" }],
    usage: usageOf(body, text),
  };
}

function completionChunks(body: Body): Body[] {
  const head = { id: idOf("cmpl", body), object: "text_completion", created: CREATED, model: body.model };
  const parts = words(` continued: ${body.prompt}`);
  return parts.map((text, i) => ({
    ...head,
    choices: [{ index: 0, text, logprobs: null, finish_reason: i === parts.length - 1 ? "stop" : null }],
  }));
}

function embeddings(body: Body) {
  const inputs = typeof body.input === "string" ? [body.input] : (body.input as string[]);
  const dimensions = (body.dimensions as number | undefined) ?? 8;
  const prompt_tokens = inputs.reduce((sum, input) => sum + input.split(/\s+/).length, 0);
  return {
    object: "list",
    data: inputs.map((input, index) => ({ object: "embedding", index, embedding: vectorOf(input, dimensions) })),
    model: body.model,
    usage: { prompt_tokens, total_tokens: prompt_tokens },
  };
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function splitIn(text: string, parts: number): string[] {
  const size = Math.ceil(text.length / parts);
  return Array.from({ length: parts }, (_, i) => text.slice(i * size, (i + 1) * size));
}

function sse(chunks: Body[], behaviour: Behaviour, onFinish: () => void): Response {
  const encoder = new TextEncoder();
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (behaviour.chunkDelayMs && sent > 0) await Bun.sleep(behaviour.chunkDelayMs);
      if (sent === behaviour.cutAfter) return controller.close();
      if (sent === behaviour.stallAfter) return new Promise<void>(() => {});
      if (sent === chunks.length) {
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        onFinish();
        return controller.close();
      }
      controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunks[sent++])}\n\n`));
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
}
