// Pins src/openai/upstream.ts and flight.ts under a failing upstream: errors reach the caller, nothing is cached, hits survive.
import { describe, expect, test } from "bun:test";
import { manualClock } from "ragcache/testing";
import { gatewaysStoppedAfterEach, postChat, type TestGateway } from "../../support/gateway.ts";

const startGateway = gatewaysStoppedAfterEach();
const gateway = () => startGateway({ upstream: { timeout: "300ms" } });

const ask = <Stream extends boolean = false>(stream?: Stream) => ({
  model: "test-model",
  temperature: 0,
  stream: (stream ?? false) as Stream,
  messages: [{ role: "user" as const, content: "fail me" }],
});

/** After a failure, a healthy upstream must be asked again: nothing was cached. */
async function expectNothingCached(g: TestGateway): Promise<void> {
  g.upstream.behave({});
  const calls = g.upstream.calls["/v1/chat/completions"] ?? 0;
  const response = await postChat(g.url, ask(false));
  expect(response.headers.get("x-ragcache")).toBe("MISS");
  expect(g.upstream.calls["/v1/chat/completions"]).toBe(calls + 1);
}

describe("openai proxy with a failing upstream", () => {
  for (const status of [400, 429, 500, 503]) {
    test(`a ${status} reaches the caller as the upstream's error, and nothing is cached`, async () => {
      const g = await gateway();
      g.upstream.behave({ status });
      const error = await g.client.chat.completions.create(ask(false)).catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ status, message: expect.stringContaining(`test upstream failure ${status}`) });
      const streamed = await postChat(g.url, ask(true));
      expect(streamed.status).toBe(status);
      await expectNothingCached(g);
    });
  }

  test("an upstream that does not answer in time is a 504", async () => {
    const g = await gateway();
    g.upstream.behave({ hang: true });
    const error = await g.client.chat.completions.create(ask(false)).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ status: 504, message: expect.stringContaining("did not answer within 300 ms") });
    await expectNothingCached(g);
  });

  test("an unreachable upstream is a 502, and cached answers are still served", async () => {
    const g = await gateway();
    const cached = await g.client.chat.completions.create(ask(false));
    await g.upstream.stop();
    const hit = await g.client.chat.completions.create(ask(false)).withResponse();
    expect(hit.response.headers.get("x-ragcache")).toBe("HIT");
    expect(hit.data.choices).toEqual(cached.choices);
    const streamedHit = await postChat(g.url, ask(true));
    expect(streamedHit.headers.get("x-ragcache")).toBe("HIT");
    const error = await g.client.chat.completions
      .create({ ...ask(false), messages: [{ role: "user", content: "new" }] })
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ status: 502, message: expect.stringContaining("unreachable") });
    const models = await fetch(`${g.url}/models`);
    expect(models.status).toBe(502);
  });

  test("an expired entry in its grace answers (x-ragcache: STALE) while the upstream is down, plain and streamed", async () => {
    const clock = manualClock(1_000_000);
    const g = await startGateway({ upstream: { timeout: "300ms", ttl: "1m" }, cache: { defaultGrace: "1h", now: clock.now } });
    const cached = await g.client.chat.completions.create(ask(false));
    clock.advance(120_000);
    g.upstream.behave({ status: 503 });
    const stale = await g.client.chat.completions.create(ask(false)).withResponse();
    expect(stale.response.headers.get("x-ragcache")).toBe("STALE");
    expect(stale.data.choices).toEqual(cached.choices);
    const streamed = await postChat(g.url, ask(true));
    expect(streamed.headers.get("x-ragcache")).toBe("STALE");
    expect(await streamed.text()).toContain("[DONE]");
    g.upstream.behave({ status: 400 });
    const refused = await g.client.chat.completions.create(ask(false)).catch((thrown: unknown) => thrown);
    expect(refused).toMatchObject({ status: 400 });
    g.upstream.behave({});
    const fresh = await g.client.chat.completions.create(ask(false)).withResponse();
    expect(fresh.response.headers.get("x-ragcache")).toBe("MISS");
  });

  test("a stream cut mid-way ends with an error the SDK raises, and is not cached", async () => {
    const g = await gateway();
    g.upstream.behave({ cutAfter: 3, chunkDelayMs: 5 });
    let received = "";
    const error = await (async () => {
      for await (const chunk of await g.client.chat.completions.create(ask(true)))
        received += chunk.choices[0]?.delta.content ?? "";
    })().catch((thrown: unknown) => thrown);
    expect(received.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ message: expect.stringContaining("ragcache: the upstream's stream") });
    await expectNothingCached(g);
  });

  test("a stream that stalls past the timeout ends with a timeout error, and is not cached", async () => {
    const g = await gateway();
    g.upstream.behave({ stallAfter: 2 });
    const text = await (await postChat(g.url, ask(true))).text();
    expect(text).toContain('"type":"upstream_timeout"');
    expect(text).not.toContain("[DONE]");
    await expectNothingCached(g);
  });

  test("a caller that hangs up does not cut the stream for a non-streamed request waiting on it", async () => {
    const g = await gateway();
    g.upstream.behave({ chunkDelayMs: 20 });
    const response = await postChat(g.url, ask(true));
    const reader = response.body!.getReader();
    await reader.read();
    const waiting = g.client.chat.completions.create(ask(false)).withResponse();
    await Bun.sleep(30);
    await reader.cancel();
    const answer = await waiting;
    expect(answer.response.headers.get("x-ragcache-joined")).toBe("true");
    expect(answer.data.choices[0]!.finish_reason).toBe("stop");
    expect(g.upstream.calls["/v1/chat/completions"]).toBe(1);
  });

  test("a caller that hangs up stops the upstream stream when nobody else listens", async () => {
    const g = await gateway();
    g.upstream.behave({ chunkDelayMs: 30 });
    const response = await postChat(g.url, ask(true));
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await Bun.sleep(600);
    expect(g.upstream.finishedStreams()).toBe(0);
    await expectNothingCached(g);
  });
});
