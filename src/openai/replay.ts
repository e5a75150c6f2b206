import { replayChunks, type Json, type StoredAnswer } from "./answer.ts";
import { DONE, sseEvent } from "./sse.ts";

/** How a replay looks to the caller: fresh identity, usage chunk or not, and pace. */
export interface ReplayOptions {
  includeUsage: boolean;
  /** Wait the recorded gaps between chunks instead of sending them all at once. */
  paced: boolean;
  headers: Headers;
}

/** A fresh response id in the upstream's style, so replayed answers never share one. */
export function freshIdentity(answer: StoredAnswer): { id: string; created: number } {
  const prefix = answer.endpoint === "chat" ? "chatcmpl" : "cmpl";
  return { id: `${prefix}-rc${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`, created: Math.floor(Date.now() / 1000) };
}

/** The cached answer as a JSON response with a fresh id and timestamp. */
export function replayJson(answer: StoredAnswer, headers: Headers): Response {
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify({ ...answer.body, ...freshIdentity(answer) }), { headers });
}

/**
 * The cached answer as server-sent events in the OpenAI chunk format, ending with `[DONE]`: the
 * recorded chunks when it was streamed, else chunks made from the whole response.
 * @example
 * ```ts
 * return replayStream(answer, { includeUsage: false, paced: false, headers: new Headers({ "x-ragcache": "HIT" }) });
 * ```
 */
export function replayStream(answer: StoredAnswer, options: ReplayOptions): Response {
  const chunks = replayChunks(answer, freshIdentity(answer), options.includeUsage);
  const gaps = options.paced && answer.chunks ? answer.gaps : undefined;
  const { headers } = options;
  headers.set("content-type", "text/event-stream; charset=utf-8");
  headers.set("cache-control", "no-cache");
  if (!gaps) return new Response(allAtOnce(chunks), { headers });
  let next = 0;
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      if (next === chunks.length) {
        controller.enqueue(sseEvent(DONE));
        return controller.close();
      }
      const gap = gaps[next] ?? 0;
      if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
      controller.enqueue(sseEvent(JSON.stringify(chunks[next++])));
    },
  });
  return new Response(body, { headers });
}

function allAtOnce(chunks: readonly Json[]): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("")}data: ${DONE}\n\n`);
}
