import { RagCacheError, withinDeadline } from "../../src/index.ts";
import { openAIEndpoint, openAIHeaders } from "./embedders/openai.ts";

/**
 * A second opinion on a borderline match: resolves true when one answer serves both questions.
 * Both texts arrive normalized (NFKC, lower case).
 */
export type Verifier = (query: string, candidate: string) => Promise<boolean>;

/** Options of `chatVerifier`: an OpenAI-compatible `/v1/chat/completions` endpoint. */
export interface ChatVerifierOptions {
  /** Chat model. Default "gpt-4o-mini". */
  model?: string;
  /** Server root; requests go to `{baseURL}/v1/chat/completions`. Default "https://api.openai.com". */
  baseURL?: string;
  /** Bearer token. Default: the environment variable named by `apiKeyEnv`. */
  apiKey?: string;
  /** Environment variable holding the key when `apiKey` is not given. Default "OPENAI_API_KEY". */
  apiKeyEnv?: string;
  /** The fetch to use (a proxy, a test server). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Requests still unanswered after this many ms are aborted (the layer stops waiting sooner). Default 10 000. */
  requestTimeout?: number;
}

const PROMPT =
  "You decide whether a cached answer to one question also answers another. Reply with one word: " +
  '"yes" when both questions ask for the same information (a paraphrase), "no" when any detail ' +
  "differs (a number, version, year, unit, negation, direction, entity or constraint).";

/**
 * A `Verifier` that asks a chat model whether two questions ask the same; anything but an answer
 * starting with "yes" (or a failed request) counts as no.
 * @example
 * ```ts
 * chroma({ verify: { verifier: chatVerifier({ model: "gpt-4o-mini" }), band: 0.1, timeout: "2s" } });
 * ```
 */
export function chatVerifier(options: ChatVerifierOptions = {}): Verifier {
  const endpoint = openAIEndpoint(options.baseURL, "chat/completions");
  const doFetch = options.fetch ?? globalThis.fetch;
  const model = options.model ?? "gpt-4o-mini";
  return async (query, candidate) => {
    const response = await doFetch(endpoint, {
      method: "POST",
      headers: openAIHeaders(options),
      signal: AbortSignal.timeout(options.requestTimeout ?? 10_000),
      body: JSON.stringify({
        model,
        temperature: 0,
        max_tokens: 3,
        messages: [
          { role: "system", content: PROMPT },
          { role: "user", content: `Question A: ${query}\nQuestion B: ${candidate}` },
        ],
      }),
    });
    if (!response.ok)
      throw new RagCacheError("E_LAYER_FAILED", `${endpoint} answered HTTP ${response.status}`, { source: "chat verifier" });
    const json = (await response.json().catch(() => ({}))) as { choices?: { message?: { content?: unknown } }[] };
    const content = json.choices?.[0]?.message?.content;
    return typeof content === "string" && /^\W*yes\b/i.test(content);
  };
}

/** The verifier's decision within `timeout` ms: true to serve, else the reason not to. */
export function verdictOf(verifier: Verifier, query: string, candidate: string, timeout: number): Promise<true | string> {
  // Through a promise, so that a verifier throwing at once is a failed verdict too.
  const verdict = new Promise<boolean>((resolve) => resolve(verifier(query, candidate))).then(
    (same): true | string => same || "verifier says the questions differ",
    (error: Error) => `verifier failed: ${error.message}`,
  );
  return withinDeadline(verdict, timeout, () => `verifier did not answer within ${timeout} ms`);
}
