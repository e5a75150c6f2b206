/** A simulated RAG pipeline: a query expander, a retriever over a small corpus and an LLM, each with a latency. */
export interface Document {
  id: string;
  text: string;
}

export interface PipelineLatency {
  /** Query expansion (a small LLM call). */
  expandMs: number;
  /** Embedding + vector search. */
  retrieveMs: number;
  /** The answer (a large LLM call). */
  answerMs: number;
}

export const corpus = new Map<string, Document>([
  ["1", { id: "1", text: "Retrieval-augmented generation (RAG) grounds an LLM's answer in retrieved documents." }],
  ["2", { id: "2", text: "A vector database stores embeddings and finds the nearest ones to a query." }],
  ["3", { id: "3", text: "Caching repeated questions saves the retrieval and the LLM call." }],
  ["4", { id: "4", text: "Embeddings map text to vectors whose distance reflects meaning." }],
]);

const words = (text: string) => new Set(text.toLowerCase().match(/[a-z]+/g) ?? []);

export function pipeline(latency: PipelineLatency) {
  return {
    async expand(query: string): Promise<string[]> {
      await Bun.sleep(latency.expandMs);
      return [query, `${query} explained`];
    },
    async retrieve(queries: string[], k: number): Promise<Document[]> {
      await Bun.sleep(latency.retrieveMs);
      const wanted = words(queries.join(" "));
      const score = (doc: Document) => [...words(doc.text)].filter((word) => wanted.has(word)).length;
      return [...corpus.values()].sort((a, b) => score(b) - score(a) || a.id.localeCompare(b.id)).slice(0, k);
    },
    async answer(query: string, documents: Document[], model: string): Promise<string> {
      await Bun.sleep(latency.answerMs);
      return `[${model}] ${query} — ${documents.map((doc) => doc.text).join(" ")}`;
    },
  };
}
