import { assemble, isObject, type Endpoint, type Json, type StoredAnswer } from "./answer.ts";
import { DONE, SseParser, sseEvent } from "./sse.ts";
import { concatBytes, forwardedHeaders, UpstreamFailure, type Upstream } from "./upstream.ts";

/** How a flight ended: the answer to store when the upstream finished cleanly, and the response as it came. */
export interface FlightOutcome {
  answer?: StoredAnswer;
  /** The upstream's own response (an error, or a JSON answer byte for byte), or the proxy's 502/504. */
  respond(): Response;
  /** The upstream failed on its side (unreachable, silent, a 5xx) before any of the answer was sent: a stale entry may stand in. */
  upstreamDown?: boolean;
}

/** What a flight sends upstream. */
export interface FlightRequest {
  endpoint: Endpoint;
  path: string;
  headers: Headers;
  body: Uint8Array<ArrayBuffer>;
  stream: boolean;
}

/**
 * One upstream call shared by every identical request that arrives while it runs. A streamed call
 * is passed on piece by piece as it arrives and recorded at the same time; a caller that joins late
 * gets the bytes so far, then the live tail. Only a stream that ended with `[DONE]` yields an answer.
 * @example
 * ```ts
 * const flight = new Flight(upstream, { endpoint: "chat", path: "/chat/completions", headers, body, stream: true });
 * if (await flight.ready) return new Response(flight.subscribe(), { headers: await flight.ready });
 * ```
 */
export class Flight {
  /** The response headers once a stream has started, or undefined when the call ended otherwise (see `outcome`). */
  readonly ready: Promise<Headers | undefined>;
  readonly outcome: Promise<FlightOutcome>;
  readonly streaming: boolean;
  #upstream: Upstream;
  #bytes: Uint8Array<ArrayBuffer>[] = [];
  #live = new Set<ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>>();
  #holders = 0;
  #ended = false;
  #abort?: () => void;
  #started!: (headers: Headers | undefined) => void;

  constructor(upstream: Upstream, request: FlightRequest) {
    this.#upstream = upstream;
    this.streaming = request.stream;
    this.ready = new Promise((resolve) => (this.#started = resolve));
    this.outcome = this.#run(request).finally(() => this.#started(undefined));
  }

  /** Waits for the outcome as one more listener, so the upstream is not stopped while it waits. */
  async settled(): Promise<FlightOutcome> {
    this.#holders++;
    try {
      return await this.outcome;
    } finally {
      this.#holders--;
    }
  }

  /** The stream's bytes from the first one on; cancelling it lets go (the last caller to leave stops the upstream). */
  subscribe(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let own: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>;
    this.#holders++;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      start: (controller) => {
        own = controller;
        for (const bytes of this.#bytes) controller.enqueue(bytes);
        if (this.#ended) controller.close();
        else this.#live.add(controller);
      },
      cancel: () => {
        this.#live.delete(own);
        if (--this.#holders === 0 && !this.#ended) this.#abort?.();
      },
    });
  }

  async #run(request: FlightRequest): Promise<FlightOutcome> {
    try {
      const { response, abort } = await this.#upstream.send(request.path, request.headers, {
        method: "POST",
        body: request.body,
      });
      this.#abort = abort;
      const type = response.headers.get("content-type") ?? "";
      if (response.ok && request.stream && /text\/event-stream/i.test(type))
        return await this.#record(request.endpoint, response);
      const bytes = await this.#upstream.readAll(response);
      const headers = forwardedHeaders(response);
      const respond = () => new Response(bytes, { status: response.status, headers });
      if (!response.ok || request.stream || !/json/i.test(type)) return { respond, upstreamDown: response.status >= 500 };
      const body: unknown = JSON.parse(new TextDecoder().decode(bytes));
      return isObject(body) && !body.error ? { answer: { endpoint: request.endpoint, body }, respond } : { respond };
    } catch (error) {
      const failure =
        error instanceof UpstreamFailure ? error : new UpstreamFailure(502, `the upstream's answer is unusable: ${error}`);
      return { respond: () => failure.toResponse(), upstreamDown: true };
    }
  }

  async #record(endpoint: Endpoint, response: Response): Promise<FlightOutcome> {
    this.#started(forwardedHeaders(response));
    const reader = response.body!.getReader();
    const parser = new SseParser();
    const chunks: Json[] = [];
    const gaps: number[] = [];
    let last = performance.now();
    let clean = false;
    let failure: UpstreamFailure | undefined;
    try {
      for (let piece = await this.#upstream.read(reader); !piece.done; piece = await this.#upstream.read(reader)) {
        this.#send(piece.value);
        const now = performance.now();
        for (const data of parser.push(piece.value)) {
          if (data === DONE) clean = true;
          else chunks.push(JSON.parse(data) as Json);
          gaps.push(Math.round(now - last));
          last = now;
        }
      }
      if (!clean) failure = new UpstreamFailure(502, "the upstream's stream ended before [DONE]");
    } catch (error) {
      reader.cancel().catch(() => {});
      failure = error instanceof UpstreamFailure ? error : new UpstreamFailure(502, `the upstream's stream broke off: ${error}`);
    }
    if (failure && this.#holders > 0) this.#send(sseEvent(JSON.stringify(failure.toJson())));
    this.#end();
    const stored = !failure && chunks.length > 0 && !chunks.some((chunk) => chunk.error);
    const respond = () => (failure ?? new UpstreamFailure(502, "the upstream's stream carried an error")).toResponse();
    return stored
      ? { answer: { endpoint, body: assemble(endpoint, chunks), chunks, gaps: gaps.slice(0, chunks.length) }, respond }
      : { respond };
  }

  #send(bytes: Uint8Array<ArrayBuffer>): void {
    this.#bytes.push(bytes);
    for (const controller of this.#live) controller.enqueue(bytes);
  }

  #end(): void {
    this.#ended = true;
    for (const controller of this.#live) controller.close();
    this.#live.clear();
  }
}
