import { describe, expect, test } from "bun:test";
import { SAFE_HEADERS, uncacheableReason } from "ragcache/hono";
import { replay, storeResponse } from "../../../src/hono/stored-response.ts";

const stored = (response: Response, bytes: Uint8Array) => storeResponse(response, bytes, SAFE_HEADERS);

describe("stored response", () => {
  test("text bodies are kept as text with the safe headers only", () => {
    const response = new Response(null, {
      status: 201,
      headers: { "content-type": "application/json", etag: '"1"', "set-cookie": "a=1", "x-internal": "1" },
    });
    const entry = stored(response, new TextEncoder().encode('{"ok":true}'));
    expect(entry).toEqual({ status: 201, headers: { "content-type": "application/json", etag: '"1"' }, body: '{"ok":true}' });
  });

  test("replay sets X-Cache and, for a hit, X-Cache-Layer", async () => {
    const entry = { status: 200, headers: { "content-type": "text/plain" }, body: "hello" };
    const hit = replay(entry, "HIT", "memory");
    expect([hit.headers.get("x-cache"), hit.headers.get("x-cache-layer"), await hit.text()]).toEqual(["HIT", "memory", "hello"]);
    const miss = replay(entry, "MISS", "memory");
    expect([miss.headers.get("x-cache"), miss.headers.get("x-cache-layer")]).toEqual(["MISS", null]);
  });

  test("binary and content-encoded bodies survive as base64, also without Uint8Array base64 methods", async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    const gzip = new Response(null, { headers: { "content-type": "text/plain", "content-encoding": "gzip" } });
    const proto = Uint8Array.prototype as unknown as Record<string, unknown>;
    const statics = Uint8Array as unknown as Record<string, unknown>;
    const saved = { toBase64: proto.toBase64, fromBase64: statics.fromBase64 };
    const roundTrip = async (response: Response) =>
      new Uint8Array(await replay(stored(response, bytes), "HIT", "l1").arrayBuffer());
    expect(await roundTrip(gzip)).toEqual(bytes);
    delete proto.toBase64;
    delete statics.fromBase64;
    try {
      expect([typeof proto.toBase64, typeof statics.fromBase64]).toEqual(["undefined", "undefined"]);
      const entry = stored(new Response(null, { headers: { "content-type": "image/png" } }), bytes);
      expect(entry.base64).toBe(true);
      expect(await roundTrip(new Response(null, { headers: { "content-type": "image/png" } }))).toEqual(bytes);
    } finally {
      proto.toBase64 = saved.toBase64;
      statics.fromBase64 = saved.fromBase64;
    }
  });

  test("uncacheableReason names why a response must not be shared", () => {
    const reason = (status: number, headers: Record<string, string> = {}) =>
      uncacheableReason(new Response(null, { status, headers }));
    expect(reason(200)).toBeUndefined();
    expect(reason(204)).toBeUndefined();
    expect(reason(404)).toBe("status 404");
    expect(reason(200, { "set-cookie": "a=1" })).toBe("Set-Cookie");
    expect(reason(200, { "cache-control": "public, private" })).toBe("Cache-Control: public, private");
    expect(reason(200, { "cache-control": "no-store" })).toBe("Cache-Control: no-store");
    expect(reason(200, { "cache-control": "max-age=60" })).toBeUndefined();
    expect(reason(200, { vary: "*" })).toBe("Vary: *");
    expect(reason(200, { "content-type": "text/event-stream" })).toBe("a stream");
  });
});
