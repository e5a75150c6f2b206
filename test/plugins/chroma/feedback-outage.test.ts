// Pins the order of plugins/chroma/feedback.ts' record(): a "wrong" verdict whose request fails while Chroma
// hangs is either not stored, or stored with its match judged, so no instance serves the pair afterwards.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createKey } from "ragcache";
import { chroma } from "ragcache/chroma";
import { testEntry } from "ragcache/testing";
import { startChroma, type ChromaServer } from "../../support/chroma-server.ts";

let server: ChromaServer;
beforeAll(async () => {
  server = await startChroma({ private: true });
});
afterAll(() => server.stop());

const STORED = "how do i reset my password";
const ASKED = "how can i reset my password";

test("a wrong verdict given while Chroma hangs and answered late never leaves its pair served", async () => {
  const writer = chroma({ url: server.url, collection: "late-verdict", timeout: "5s" });
  const storedKey = createKey(STORED);
  await writer.set(storedKey, testEntry(storedKey, "answer"));
  await writer.flush();
  const judging = chroma({ url: server.url, collection: "late-verdict", timeout: "300ms" });
  expect(await judging.get(createKey(ASKED))).toMatchObject({ value: "answer" });
  await judging.recordedFeedback();

  server.pause();
  const given = judging.feedback({ query: ASKED, matchedText: STORED, verdict: "wrong" });
  await expect(given).rejects.toThrow("did not answer");
  await Bun.sleep(1000);
  server.resume();
  // Let Chroma apply whatever it received while it was stopped.
  await Bun.sleep(500);

  const reader = chroma({ url: server.url, collection: "late-verdict", timeout: "5s" });
  const stored = (await reader.recordedFeedback()).some((verdict) => verdict.query === ASKED && verdict.verdict === "wrong");
  const served = await reader.get(createKey(ASKED));
  expect(stored && served !== undefined).toBe(false);
}, 30_000);
