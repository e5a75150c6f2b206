import { Hono } from "hono";
import { createCache } from "../src/index.ts";
import { openAIProxy } from "../src/openai/index.ts";
import { memory } from "../plugins/memory/index.ts";
import { startTestUpstream } from "../test/support/openai-upstream.ts";
import { formatMs, median, percentile, pool } from "./lib/measure.ts";
import { queryStream } from "./lib/query-stream.ts";
import { writeTopic } from "./lib/report.ts";

/**
 * The OpenAI proxy's own cost: a chat completion asked of the loopback test upstream directly and
 * through ragcache (a MISS: each question new), interleaved request by request so noise hits both
 * alike; a HIT of the same size; and the time to first chunk of a stream, direct, as a proxied MISS
 * and as a replayed HIT; then a RAG question stream through the proxy, counting the upstream calls it
 * saved. Client, proxy and upstream share one Bun process on loopback.
 */

const REQUESTS = 600;
const STREAMS = 60;
const upstream = startTestUpstream();
const cache = createCache({ layers: [memory({ max: 100_000 })] });
const proxy = openAIProxy({ cache, upstream: { baseURL: upstream.url }, env: {} });
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: new Hono().route("/", proxy).fetch, idleTimeout: 0 });
const viaProxy = `http://127.0.0.1:${server.port}/v1`;

const body = (content: string, stream = false) =>
  JSON.stringify({ model: "test-model", temperature: 0, stream, messages: [{ role: "user", content }] });
const post = (base: string, payload: string) =>
  fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
    body: payload,
  });

async function timed(base: string, payload: string): Promise<number> {
  const started = performance.now();
  await (await post(base, payload)).arrayBuffer();
  return performance.now() - started;
}

async function firstChunk(base: string, payload: string): Promise<number> {
  const started = performance.now();
  const reader = (await post(base, payload)).body!.getReader();
  await reader.read();
  const ms = performance.now() - started;
  while (!(await reader.read()).done);
  return ms;
}

for (let i = 0; i < 100; i++) await timed(viaProxy, body(`warm-up ${i}`));
const direct: number[] = [];
const miss: number[] = [];
const added: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  const d = await timed(upstream.url, body(`direct question ${i}`));
  const m = await timed(viaProxy, body(`proxied question ${i}`));
  direct.push(d);
  miss.push(m);
  added.push(m - d);
}
await timed(viaProxy, body("the hit"));
const hit: number[] = [];
for (let i = 0; i < REQUESTS; i++) hit.push(await timed(viaProxy, body("the hit")));

upstream.behave({ chunkDelayMs: 5 });
const ttft = { direct: [] as number[], miss: [] as number[], replay: [] as number[] };
for (let i = 0; i < STREAMS; i++) {
  ttft.direct.push(await firstChunk(upstream.url, body(`stream ${i}`, true)));
  ttft.miss.push(await firstChunk(viaProxy, body(`stream ${i}`, true)));
  ttft.replay.push(await firstChunk(viaProxy, body(`stream ${i}`, true)));
}
const upstreamCalls = upstream.calls["/v1/chat/completions"] ?? 0;

// A RAG question stream through the proxy, against an upstream that takes LLM_MS to answer.
const LLM_MS = 60;
const stream = queryStream({ requests: 1_500, paraphraseShare: 0.2, zipfS: 1.1, seed: 7 });
upstream.reset();
upstream.behave({ headerDelayMs: LLM_MS });
const replayed: number[] = [];
const replayStarted = performance.now();
await pool(stream.requests, 16, async (request) => replayed.push(await timed(viaProxy, body(request.text))));
const replayMs = performance.now() - replayStarted;
const streamCalls = upstream.calls["/v1/chat/completions"] ?? 0;
server.stop(true);
await cache.close();
await upstream.stop();

const row = (name: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return [name, formatMs(median(values)), formatMs(percentile(sorted, 95)), formatMs(percentile(sorted, 99))];
};
const addedP50 = median(added);
writeTopic("gateway", {
  title: "OpenAI proxy overhead",
  method: [
    `${REQUESTS} chat completions asked of the loopback test upstream directly and through the proxy (each question new: a MISS), interleaved one by one; added = proxied − direct per pair.`,
    `${REQUESTS} HITs of one question; ${STREAMS} streams (5 ms between chunks) timed to their first chunk: direct, proxied MISS, replayed HIT.`,
    "Client, proxy (memory layer) and upstream run in one Bun process on loopback, so the proxy's work and the upstream's share a core.",
  ],
  tables: [
    {
      columns: ["request", "p50 ms", "p95 ms", "p99 ms"],
      rows: [
        row("direct to the upstream", direct),
        row("through the proxy, MISS", miss),
        row("added by the proxy on a MISS", added),
        row("through the proxy, HIT", hit),
        row("stream, first chunk, direct", ttft.direct),
        row("stream, first chunk, proxied MISS", ttft.miss),
        row("stream, first chunk, replayed HIT", ttft.replay),
      ],
    },
    {
      caption: `A stream of ${stream.requests.length} RAG questions (Zipf 1.1, 20 % paraphrased, 16 in flight) through the proxy, upstream answering in ${LLM_MS} ms`,
      columns: ["requests", "upstream calls", "calls saved", "exact repeats in the stream", "p50 ms", "p95 ms", "wall s"],
      rows: [
        [
          stream.requests.length,
          streamCalls,
          `${((1 - streamCalls / stream.requests.length) * 100).toFixed(1)} %`,
          `${(stream.exactRepeatRate * 100).toFixed(1)} %`,
          formatMs(median(replayed)),
          formatMs(
            percentile(
              [...replayed].sort((a, b) => a - b),
              95,
            ),
          ),
          (replayMs / 1000).toFixed(1),
        ],
      ],
    },
  ],
  goals: [{ goal: "the proxy adds ≤ 1 ms (p50) to a MISS", met: addedP50 <= 1, measured: `${formatMs(addedP50)} ms` }],
  notes: [
    `Upstream calls: ${upstreamCalls} for ${2 * REQUESTS + 100 + 1 + REQUESTS + 3 * STREAMS} requests (hits and replays made none).`,
  ],
  packages: ["hono"],
  data: {
    direct,
    miss,
    added,
    hit,
    ttft,
    upstreamCalls,
    stream: { requests: stream.requests.length, upstreamCalls: streamCalls, replayed },
  },
});
