import { toMs } from "../duration.ts";
import { withinDeadline } from "../deadline.ts";
import { RagCacheError } from "../errors.ts";
import type { Json } from "./answer.ts";
import type { UpstreamConfig } from "./options.ts";

/** Headers that belong to one hop (or to the proxy's own body handling) and are never copied across. */
const HOP_BY_HOP = ["host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"];
const REQUEST_DROP = [...HOP_BY_HOP, "accept-encoding", "proxy-authorization", "proxy-connection"];
const RESPONSE_DROP = [...HOP_BY_HOP, "content-encoding"];

/** The upstream failed before answering: unreachable (502) or silent past the timeout (504). */
export class UpstreamFailure extends Error {
  constructor(
    readonly status: 502 | 504,
    message: string,
  ) {
    super(message);
  }

  /** The failure as an OpenAI-style error response, so SDKs raise it as an API error. */
  toResponse(): Response {
    return openAIError(this.status, this.message, this.#type());
  }

  /** The failure as an OpenAI error object: the last chunk of a stream that was already under way. */
  toJson(): Json {
    return openAIErrorJson(this.message, this.#type());
  }

  #type(): string {
    return this.status === 504 ? "upstream_timeout" : "upstream_error";
  }
}

/** An error in the OpenAI format, `{ error: { message, type, param, code } }`, its message marked as ragcache's. */
function openAIErrorJson(message: string, type: string): Json {
  return { error: { message: `ragcache: ${message}`, type, param: null, code: type } };
}

/** An error response in the OpenAI format. */
export function openAIError(status: number, message: string, type: string, headers?: HeadersInit): Response {
  const response = new Response(JSON.stringify(openAIErrorJson(message, type)), { status, headers });
  response.headers.set("content-type", "application/json");
  return response;
}

/** An upstream response whose body is still to be read, and how to stop reading it. */
export interface UpstreamResponse {
  response: Response;
  abort(): void;
}

/**
 * The upstream API: where a path goes, which key it carries, how long it may take to answer.
 * @example
 * ```ts
 * const { response } = await upstream.send("/chat/completions", request.headers, { method: "POST", body });
 * ```
 */
export class Upstream {
  readonly timeoutMs: number;
  readonly #base: string;
  readonly #apiKey?: string;

  constructor(config: UpstreamConfig, env: Record<string, string | undefined>) {
    this.#base = config.baseURL.replace(/\/+$/, "");
    this.timeoutMs = toMs(config.timeout, "upstream.timeout");
    this.#apiKey = config.apiKeyEnv ? env[config.apiKeyEnv] : undefined;
    if (config.apiKeyEnv && !this.#apiKey)
      throw new RagCacheError("E_CONFIG_INVALID", `upstream.apiKeyEnv names ${config.apiKeyEnv}, which is not set`);
  }

  /** Sends a request to `path` (below the base URL's `/v1`); rejects with `UpstreamFailure` when no headers come in time. */
  async send(
    path: string,
    incoming: Headers,
    init: { method: string; body?: BodyInit | null; search?: string },
  ): Promise<UpstreamResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new UpstreamFailure(504, this.#late())), this.timeoutMs);
    try {
      const response = await fetch(`${this.#base}${path}${init.search ?? ""}`, {
        method: init.method,
        headers: this.#headers(incoming),
        body: init.body,
        signal: controller.signal,
        redirect: "manual",
        ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
      });
      return { response, abort: () => controller.abort() };
    } catch (error) {
      if (controller.signal.aborted) throw new UpstreamFailure(504, this.#late());
      throw new UpstreamFailure(502, `the upstream at ${this.#base} is unreachable: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads one piece of a body, failing with a 504 when the upstream stays silent past the timeout. */
  read(
    reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  ): ReturnType<ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>["read"]> {
    return withinDeadline(reader.read(), this.timeoutMs, () => {
      throw new UpstreamFailure(504, this.#late());
    });
  }

  /** The whole body, each piece within the timeout. */
  async readAll(response: Response): Promise<Uint8Array<ArrayBuffer>> {
    if (!response.body) return new Uint8Array();
    const reader = response.body.getReader();
    const pieces: Uint8Array<ArrayBuffer>[] = [];
    try {
      for (let piece = await this.read(reader); !piece.done; piece = await this.read(reader)) pieces.push(piece.value);
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error instanceof UpstreamFailure
        ? error
        : new UpstreamFailure(502, `the upstream's answer broke off: ${(error as Error).message}`);
    }
    return concatBytes(pieces);
  }

  #headers(incoming: Headers): Headers {
    const headers = new Headers(incoming);
    for (const name of REQUEST_DROP) headers.delete(name);
    if (this.#apiKey) headers.set("authorization", `Bearer ${this.#apiKey}`);
    return headers;
  }

  #late(): string {
    return `the upstream at ${this.#base} did not answer within ${this.timeoutMs} ms`;
  }
}

/** The upstream's response headers without the per-hop ones (the body is re-framed by this server). */
export function forwardedHeaders(response: Response): Headers {
  const headers = new Headers(response.headers);
  for (const name of RESPONSE_DROP) headers.delete(name);
  return headers;
}

/** One array of all the pieces' bytes. */
export function concatBytes(pieces: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const all = new Uint8Array(pieces.reduce((length, piece) => length + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    all.set(piece, offset);
    offset += piece.length;
  }
  return all;
}
