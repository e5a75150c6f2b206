// Pins src/openai/flight.ts, replay.ts, answer.ts and sse.ts: streamed misses, replays, conversions and joined streams.
import { describe, expect, test } from "bun:test";
import { answerOf } from "../../support/openai-upstream.ts";
import { gatewaysStoppedAfterEach, postChat } from "../../support/gateway.ts";

const gateway = gatewaysStoppedAfterEach();

const body = <Extra extends object = {}>(content: string, extra?: Extra) => ({
  model: "test-model",
  temperature: 0,
  messages: [{ role: "user" as const, content }],
  ...(extra as Extra),
});

/** The data of each SSE event, parsed, without [DONE]. */
function events(text: string): Record<string, any>[] {
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: ") && event !== "data: [DONE]")
    .map((event) => JSON.parse(event.slice(6)));
}

function contentOf(chunks: Record<string, any>[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
}

describe("openai proxy streams", () => {
  test("a streamed miss carries the upstream's bytes unchanged, piece by piece as they arrive", async () => {
    const { url, upstream } = await gateway();
    upstream.behave({ chunkDelayMs: 40 });
    const started = performance.now();
    const response = await postChat(url, body("stream me", { stream: true as const }));
    expect(response.headers.get("x-ragcache")).toBe("MISS");
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstAt = performance.now() - started;
    let text = new TextDecoder().decode(first.value);
    for (let piece = await reader.read(); !piece.done; piece = await reader.read()) text += new TextDecoder().decode(piece.value);
    const total = performance.now() - started;
    expect(firstAt).toBeLessThan(total / 2);
    const direct = await (
      await fetch(`${upstream.url}/chat/completions`, {
        method: "POST",
        body: JSON.stringify(body("stream me", { stream: true as const })),
      })
    ).text();
    expect(text).toBe(direct);
  });

  test("a streamed hit replays the same content in the same chunks, with fresh ids and timestamps, through the SDK", async () => {
    const { client, upstream } = await gateway();
    const original: string[] = [];
    for await (const chunk of await client.chat.completions.create(body("q", { stream: true as const })))
      original.push(JSON.stringify(chunk));
    const replay = await client.chat.completions.create(body("q", { stream: true as const })).withResponse();
    const replayed: Record<string, any>[] = [];
    for await (const chunk of replay.data) replayed.push(chunk);
    expect(replay.response.headers.get("x-ragcache")).toBe("HIT");
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
    const recorded = original.map((chunk) => JSON.parse(chunk));
    expect(replayed.length).toBe(recorded.length);
    expect(contentOf(replayed)).toBe(answerOf(body("q")));
    expect(replayed.map((chunk) => chunk.choices)).toEqual(recorded.map((chunk) => chunk.choices));
    expect(new Set(replayed.map((chunk) => chunk.id)).size).toBe(1);
    expect(replayed[0]!.id).not.toBe(recorded[0]!.id);
    expect(replayed[0]!.created).toBeGreaterThan(recorded[0]!.created);
  });

  test("a replay at the recorded pace takes about as long as the original", async () => {
    const { url, upstream } = await gateway({ upstream: { replay: "recorded" } });
    upstream.behave({ chunkDelayMs: 25 });
    const started = performance.now();
    await (await postChat(url, body("slow", { stream: true as const }))).text();
    const original = performance.now() - started;
    const replayStarted = performance.now();
    const replay = await postChat(url, body("slow", { stream: true as const }));
    await replay.text();
    expect(replay.headers.get("x-ragcache")).toBe("HIT");
    expect(performance.now() - replayStarted).toBeGreaterThan(original * 0.6);
  });

  test("a stream is served from a non-streamed entry and the reverse, usage chunk only when asked", async () => {
    const { client, url, upstream } = await gateway();
    const whole = await client.chat.completions.create(body("one"));
    const streamed = await postChat(url, body("one", { stream: true, stream_options: { include_usage: true } }));
    const chunks = events(await streamed.text());
    expect(streamed.headers.get("x-ragcache")).toBe("HIT");
    expect(contentOf(chunks)).toBe(whole.choices[0]!.message.content!);
    expect(chunks.at(-1)!.usage).toEqual(whole.usage);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe("stop");

    for await (const _ of await client.chat.completions.create(body("two", { stream: true as const }))) continue;
    const fromStream = await client.chat.completions.create(body("two")).withResponse();
    expect(fromStream.response.headers.get("x-ragcache")).toBe("HIT");
    expect(fromStream.data.choices[0]!.message).toMatchObject({ role: "assistant", content: answerOf(body("two")) });
    expect(fromStream.data.choices[0]!.finish_reason).toBe("stop");
    const plain = events(await (await postChat(url, body("two", { stream: true as const }))).text());
    expect(plain.every((chunk) => !("usage" in chunk))).toBe(true);
    expect(upstream.calls["/v1/chat/completions"]).toBe(2);
  });

  test("a streamed tool call is put back together for a non-streamed request", async () => {
    const { client } = await gateway();
    const tools = [{ type: "function" as const, function: { name: "search", parameters: { type: "object" } } }];
    const streamed = await client.chat.completions.stream(body("find rag", { tools })).finalChatCompletion();
    const whole = await client.chat.completions.create(body("find rag", { tools })).withResponse();
    expect(whole.response.headers.get("x-ragcache")).toBe("HIT");
    expect(whole.data.choices[0]!.message.tool_calls).toEqual(streamed.choices[0]!.message.tool_calls!);
    expect(whole.data.choices[0]!.finish_reason).toBe("tool_calls");
    expect(
      JSON.parse((whole.data.choices[0]!.message.tool_calls![0] as { function: { arguments: string } }).function.arguments),
    ).toEqual({
      query: answerOf(body("find rag")).slice(0, 24),
    });
  });

  test("a non-streamed tool call replays as a stream the SDK puts back together", async () => {
    const { client } = await gateway();
    const tools = [{ type: "function" as const, function: { name: "search", parameters: { type: "object" } } }];
    const whole = await client.chat.completions.create(body("find docs", { tools }));
    const runner = client.chat.completions.stream(body("find docs", { tools }));
    const streamed = await runner.finalChatCompletion();
    expect(streamed.choices[0]!.message.tool_calls).toEqual(whole.choices[0]!.message.tool_calls!);
    expect(streamed.choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("identical concurrent streams share one upstream stream; a late joiner gets the prefix, then the live tail", async () => {
    const { url, upstream } = await gateway();
    upstream.behave({ chunkDelayMs: 20 });
    const first = await postChat(url, body("shared", { stream: true as const }));
    const reader = first.body!.getReader();
    await reader.read();
    const late = postChat(url, body("shared", { stream: true as const }));
    const others = await Promise.all([
      late,
      postChat(url, body("shared", { stream: true as const })),
      postChat(url, body("shared")),
    ]);
    let firstText = "";
    for (let piece = await reader.read(); !piece.done; piece = await reader.read())
      firstText += new TextDecoder().decode(piece.value);
    const texts = await Promise.all(others.map((response) => response.text()));
    expect(upstream.calls["/v1/chat/completions"]).toBe(1);
    expect(others[0]!.headers.get("x-ragcache-joined")).toBe("true");
    expect(texts[0]).toBe(texts[1]!);
    expect(contentOf(events(texts[0]!))).toBe(answerOf(body("shared")));
    expect(texts[0]!.endsWith(firstText)).toBe(true);
    expect(JSON.parse(texts[2]!).choices[0].message.content).toBe(answerOf(body("shared")));
  });

  test("legacy completions stream and replay too", async () => {
    const { client, upstream } = await gateway();
    let original = "";
    for await (const chunk of await client.completions.create({
      model: "test-model",
      prompt: "once",
      temperature: 0,
      stream: true,
    }))
      original += chunk.choices[0]!.text;
    let replayed = "";
    for await (const chunk of await client.completions.create({
      model: "test-model",
      prompt: "once",
      temperature: 0,
      stream: true,
    }))
      replayed += chunk.choices[0]!.text;
    const whole = await client.completions.create({ model: "test-model", prompt: "once", temperature: 0 });
    expect(replayed).toBe(original);
    expect(whole.choices[0]!.text).toBe(original);
    expect(upstream.calls["/v1/completions"]).toBe(1);
  });
});
