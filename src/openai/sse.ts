/** Server-sent events as OpenAI sends them: `data: <json>` events ending with `data: [DONE]`. */

const encoder = new TextEncoder();

/** The end-of-stream marker of the OpenAI API. */
export const DONE = "[DONE]";

/** One SSE event carrying `data` (a JSON chunk or `[DONE]`), as bytes. */
export function sseEvent(data: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`data: ${data}\n\n`);
}

/**
 * Splits bytes arriving in arbitrary pieces into the `data` of whole events (multi-line data joined
 * with "\n", comments and other fields ignored).
 * @example
 * ```ts
 * const parser = new SseParser();
 * parser.push(bytes).forEach((data) => (data === DONE ? finish() : record(JSON.parse(data))));
 * ```
 */
export class SseParser {
  #decoder = new TextDecoder();
  #buffer = "";
  #data: string[] = [];

  push(bytes: Uint8Array<ArrayBuffer>): string[] {
    this.#buffer += this.#decoder.decode(bytes, { stream: true });
    const events: string[] = [];
    let newline = this.#buffer.indexOf("\n");
    while (newline >= 0) {
      const line = this.#buffer.slice(0, newline).replace(/\r$/, "");
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line === "") {
        if (this.#data.length) events.push(this.#data.join("\n"));
        this.#data = [];
      } else if (line.startsWith("data:")) {
        this.#data.push(line.slice(line[5] === " " ? 6 : 5));
      }
      newline = this.#buffer.indexOf("\n");
    }
    return events;
  }
}
