export type { Embedder } from "./embedder.ts";
export { localEmbedder, type LocalEmbedderOptions } from "./local.ts";
export { memoizeEmbedder, setEmbeddingMemoLimit } from "./memo.ts";
export { openAIEmbedder, type OpenAIEmbedderOptions } from "./openai.ts";
export { EMBEDDINGS_NAMESPACE, shareEmbeddings, type SharedEmbedder, type SharedEmbeddingCounts } from "./shared.ts";
