export type { Embedder } from "./embedder.ts";
export { localEmbedder, type LocalEmbedderOptions } from "./local.ts";
export { memoizeEmbedder, setEmbeddingMemoLimit } from "./memo.ts";
export { openAIEmbedder, type OpenAIEmbedderOptions } from "./openai.ts";
