// Pins src/server/server-env.ts: `bun run serve`'s options from flags and env.
import { describe, expect, test } from "bun:test";
import { serveOptionsOf } from "../../../src/server/server-env.ts";

describe("serve options from env", () => {
  test("RAG_PUBLIC_READS and RAG_PUBLIC_METRICS take true/1 and false/0 in any case; unset or empty is false", () => {
    expect(serveOptionsOf({}, { RAG_PUBLIC_READS: " TRUE ", RAG_PUBLIC_METRICS: "1" })).toMatchObject({
      publicReads: true,
      publicMetrics: true,
    });
    expect(serveOptionsOf({}, { RAG_PUBLIC_READS: "False", RAG_PUBLIC_METRICS: "0" })).toMatchObject({
      publicReads: false,
      publicMetrics: false,
    });
    expect(serveOptionsOf({}, { RAG_PUBLIC_READS: "" })).toMatchObject({ publicReads: false, publicMetrics: false });
  });

  test("any other value names the variable", () => {
    expect(() => serveOptionsOf({}, { RAG_PUBLIC_METRICS: "yes" })).toThrow(
      'RAG_PUBLIC_METRICS must be true or false, got "yes"',
    );
  });
});
