/**
 * What the README's snippets leave to the reader's application: a retriever, an LLM, a layer of
 * their own. Imported ahead of each snippet by test/readme.test.ts, so the snippets run as written.
 */
import { mapLayer } from "../../examples/custom-layer/map-layer.ts";

const documents = [{ id: "17", text: "Retrieval-augmented generation grounds an answer in retrieved documents." }];

Object.assign(globalThis, {
  query: "what is rag?",
  answer: "Open Settings, then Security, then Reset password.",
  retrieve: async (_query: string, _params?: unknown) => documents,
  search: async (_query: string, _params?: unknown) => documents,
  expandWithLlm: async (query: string) => [query, `${query} explained`],
  llm: async (query: string) => `An answer to ${query}.`,
  answerQuestion: async (body: unknown) => ({ answer: "an answer", asked: body }),
  myLayer: () => mapLayer(),
});
