/** A response as the cache keeps it: JSON-safe, so every layer (Redis, files) can store it. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text, or base64 when it is binary or content-encoded. */
  body: string;
  base64?: true;
}

/**
 * Response headers worth replaying; anything else (cookies, auth, hop-by-hop) is dropped. Default of `storeHeaders`.
 * @example
 * ```ts
 * ragcache({ cache, storeHeaders: [...SAFE_HEADERS, "x-model"] });
 * ```
 */
export const SAFE_HEADERS: readonly string[] = [
  "content-type",
  "content-language",
  "content-encoding",
  "content-disposition",
  "cache-control",
  "etag",
  "last-modified",
  "expires",
  "vary",
];

const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-ndjson)\b)/i;
const decoder = new TextDecoder();
const NOT_STORABLE = /(^|[\s,])(private|no-store)\b/i;

/**
 * Why a response cannot be shared with other clients, or undefined when it can.
 * @example
 * ```ts
 * uncacheableReason(new Response("x", { headers: { "cache-control": "private" } })); // "Cache-Control: private"
 * ```
 */
export function uncacheableReason(response: Response): string | undefined {
  if (response.status < 200 || response.status > 299) return `status ${response.status}`;
  if (response.headers.has("set-cookie")) return "Set-Cookie";
  const cacheControl = response.headers.get("cache-control");
  if (cacheControl && NOT_STORABLE.test(cacheControl)) return `Cache-Control: ${cacheControl}`;
  if (response.headers.get("vary")?.trim() === "*") return "Vary: *";
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) return "a stream";
  return undefined;
}

/**
 * Why a response cannot be stored under a key that leaves out request headers: it varies by some.
 * @example
 * ```ts
 * variesBy(new Response("x", { headers: { vary: "Accept-Language" } })); // "Vary: Accept-Language"
 * ```
 */
export function variesBy(response: Response): string | undefined {
  const vary = response.headers.get("vary")?.trim();
  return vary ? `Vary: ${vary}` : undefined;
}

/** The stored form of a response whose body was already read into `bytes`. */
export function storeResponse(response: Response, bytes: Uint8Array, headerNames: readonly string[]): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of headerNames) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const type = response.headers.get("content-type") ?? "";
  if (TEXTUAL.test(type) && !response.headers.has("content-encoding")) {
    return { status: response.status, headers, body: decoder.decode(bytes) };
  }
  return { status: response.status, headers, body: toBase64(bytes), base64: true };
}

type Outcome = "HIT" | "MISS" | "STALE";

/**
 * Response headers per stored response, outcome and layer, built once: a Response copies the Headers
 * it is given, which costs half of building them from a record, so a hit only allocates the Response.
 */
const prepared = new WeakMap<StoredResponse, Record<Outcome, Map<string, Headers>>>();

export function replay(stored: StoredResponse, outcome: Outcome, layer?: string): Response {
  let byOutcome = prepared.get(stored);
  if (!byOutcome) prepared.set(stored, (byOutcome = { HIT: new Map(), MISS: new Map(), STALE: new Map() }));
  const byLayer = byOutcome[outcome];
  const layerName = outcome === "MISS" ? "" : (layer ?? "");
  let headers = byLayer.get(layerName);
  if (!headers) {
    headers = new Headers(stored.headers);
    headers.set("x-cache", outcome);
    if (layerName) headers.set("x-cache-layer", layerName);
    byLayer.set(layerName, headers);
  }
  return new Response(stored.base64 ? fromBase64(stored.body) : stored.body, { status: stored.status, headers });
}

// Uint8Array.toBase64 is recent (not in Node 22); btoa/atob are in every Web runtime.
function toBase64(bytes: Uint8Array): string {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64();
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

export function isStoredResponse(value: unknown): value is StoredResponse {
  const stored = value as StoredResponse | null;
  return (
    typeof stored === "object" &&
    stored !== null &&
    typeof stored.status === "number" &&
    typeof stored.body === "string" &&
    typeof stored.headers === "object"
  );
}
