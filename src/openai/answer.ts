/** Completions as the cache keeps them, and the conversions between streamed chunks and whole responses. */

/** A JSON object of the OpenAI wire format (a response, a chunk, a message …). */
export type Json = Record<string, unknown>;

/** The two completion endpoints: `/v1/chat/completions` and the legacy `/v1/completions`. */
export type Endpoint = "chat" | "completions";

/** One cached answer: the whole response, and for a streamed one the chunks as they came. */
export interface StoredAnswer {
  endpoint: Endpoint;
  /** The response a request without `stream` gets. */
  body: Json;
  /** The chunks of a streamed answer in order, a usage chunk included when the upstream sent one. */
  chunks?: Json[];
  /** Milliseconds before each chunk, since the previous one (the first: since the request), for paced replay. */
  gaps?: number[];
}

/** Whether a cached value is an answer of this endpoint (anything else is treated as a miss). */
export function isStoredAnswer(value: unknown, endpoint: Endpoint): value is StoredAnswer {
  const answer = value as StoredAnswer | undefined;
  return typeof answer === "object" && answer !== null && answer.endpoint === endpoint && isObject(answer.body);
}

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

type Choices = Map<number, Json>;

/** The whole response that a list of chunks adds up to: contents and tool-call arguments joined. */
export function assemble(endpoint: Endpoint, chunks: readonly Json[]): Json {
  const first = chunks[0] ?? {};
  const choices: Choices = new Map();
  let usage: unknown;
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of (chunk.choices as Json[] | undefined) ?? []) {
      if (endpoint === "chat") addDelta(choices, choice);
      else addText(choices, choice);
    }
  }
  const { choices: _choices, usage: _usage, object: _object, ...head } = first;
  return {
    ...head,
    object: endpoint === "chat" ? "chat.completion" : "text_completion",
    choices: [...choices.values()].sort((a, b) => (a.index as number) - (b.index as number)),
    ...(usage ? { usage } : {}),
  };
}

function choiceAt(choices: Choices, choice: Json, initial: () => Json): Json {
  const index = (choice.index as number | undefined) ?? 0;
  let found = choices.get(index);
  if (!found) choices.set(index, (found = { index, ...initial(), logprobs: null, finish_reason: null }));
  if (choice.finish_reason) found.finish_reason = choice.finish_reason;
  return found;
}

function addText(choices: Choices, choice: Json): void {
  const found = choiceAt(choices, choice, () => ({ text: "" }));
  if (typeof choice.text === "string") found.text += choice.text;
}

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

function addDelta(choices: Choices, choice: Json): void {
  const message = choiceAt(choices, choice, () => ({ message: { role: "assistant", content: null } })).message as Json;
  const delta = (choice.delta as Json | undefined) ?? {};
  if (typeof delta.role === "string") message.role = delta.role;
  if (typeof delta.content === "string") message.content = ((message.content as string | null) ?? "") + delta.content;
  if (typeof delta.refusal === "string") message.refusal = ((message.refusal as string | undefined) ?? "") + delta.refusal;
  for (const call of (delta.tool_calls as ToolCallDelta[] | undefined) ?? []) {
    const calls = (message.tool_calls ??= []) as Json[];
    const index = call.index ?? calls.length;
    const into = (calls[index] ??= { id: "", type: "function", function: { name: "", arguments: "" } });
    const fn = into.function as { name: string; arguments: string };
    if (call.id) into.id = call.id;
    if (call.type) into.type = call.type;
    if (call.function?.name) fn.name += call.function.name;
    if (call.function?.arguments) fn.arguments += call.function.arguments;
  }
}

/** The chunks a streamed request would have received for a whole response (one content chunk per choice). */
export function chunksOf(endpoint: Endpoint, body: Json): Json[] {
  const { choices, usage, object: _object, ...head } = body;
  const object = endpoint === "chat" ? "chat.completion.chunk" : "text_completion";
  const chunk = (choice: Json): Json => ({ ...head, object, choices: [choice] });
  const chunks: Json[] = [];
  for (const choice of (choices as Json[] | undefined) ?? []) {
    const { index, finish_reason } = choice;
    if (endpoint === "completions") {
      chunks.push(chunk({ index, text: choice.text, logprobs: null, finish_reason }));
      continue;
    }
    const { role, content, refusal, tool_calls } = (choice.message as Json | undefined) ?? {};
    chunks.push(
      chunk({ index, delta: { role, content: tool_calls ? (content ?? null) : "" }, logprobs: null, finish_reason: null }),
    );
    if (typeof content === "string" && content && !tool_calls)
      chunks.push(chunk({ index, delta: { content }, logprobs: null, finish_reason: null }));
    if (typeof refusal === "string") chunks.push(chunk({ index, delta: { refusal }, logprobs: null, finish_reason: null }));
    if (Array.isArray(tool_calls)) {
      const calls = tool_calls.map((call: Json, i) => ({ index: i, ...call }));
      chunks.push(chunk({ index, delta: { tool_calls: calls }, logprobs: null, finish_reason: null }));
    }
    chunks.push(chunk({ index, delta: {}, logprobs: null, finish_reason }));
  }
  if (usage) chunks.push({ ...head, object, choices: [], usage });
  return chunks;
}

/**
 * The chunks to send for a replay: fresh id and timestamp, and the usage chunk (plus `usage: null` on
 * the others) only when the caller asked for it with `stream_options.include_usage`.
 */
export function replayChunks(answer: StoredAnswer, identity: { id: string; created: number }, includeUsage: boolean): Json[] {
  const chunks = answer.chunks ?? chunksOf(answer.endpoint, answer.body);
  const replayed: Json[] = [];
  let hasUsage = false;
  for (const chunk of chunks) {
    const usageOnly = Array.isArray(chunk.choices) && chunk.choices.length === 0 && Boolean(chunk.usage);
    hasUsage ||= usageOnly;
    if (usageOnly && !includeUsage) continue;
    const { usage, ...rest } = chunk;
    replayed.push(includeUsage ? { ...rest, ...identity, usage: usageOnly ? usage : null } : { ...rest, ...identity });
  }
  const last = replayed.at(-1);
  if (includeUsage && !hasUsage && answer.body.usage && last) replayed.push({ ...last, choices: [], usage: answer.body.usage });
  return replayed;
}
