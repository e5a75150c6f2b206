/**
 * Turns texts into vectors for the semantic layer. Built-ins: `localEmbedder` (no download, no
 * network) and `openAIEmbedder` (any OpenAI-compatible `/v1/embeddings` endpoint); a user's own
 * embedder only has to satisfy this contract.
 */
export interface Embedder {
  /**
   * Identity of the model and its settings, e.g. "local-v1-512" or "openai:text-embedding-3-small:1536".
   * Memoized embeddings and stored vectors are keyed by it, so vectors of two embedders never meet.
   */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dimensions: number;
  /**
   * Cosine similarity from which two texts of this embedder usually mean the same; the semantic
   * layer's default threshold when it is given none.
   */
  readonly threshold?: number;
  /** One vector per text, in order. Rejects (never returns short or NaN vectors) when it cannot. */
  embed(texts: readonly string[]): Promise<number[][]>;
}
