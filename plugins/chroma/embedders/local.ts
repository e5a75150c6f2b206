import type { Embedder } from "./embedder.ts";
import { RagCacheError } from "../../../src/index.ts";
import { memoizeEmbedder } from "./memo.ts";
import { STOP_WORDS, stem, words } from "./text.ts";

/**
 * What `localEmbedder` takes: the vector length and the weight of function words.
 * @example
 * ```ts
 * localEmbedder({ dimensions: 1024, stopWordWeight: 0.2 });
 * ```
 */
export interface LocalEmbedderOptions {
  /** Vector length; more dimensions mean fewer hash collisions between features. Default 512. */
  dimensions?: number;
  /** Weight of a function word ("the", "how", "is") relative to a content word. Default 0.3. */
  stopWordWeight?: number;
}

/** Version of the feature set: part of the id, so vectors of an older scheme are never compared. */
const VERSION = "local-v1";
const CHAR_GRAM_WEIGHT = 0.35;
const BIGRAM_WEIGHT = 0.5;

/**
 * Hashed bag of features, L2-normalized: each word (lightly stemmed), its character 3- and 4-grams
 * (so "dict"/"dicts" or a typo still overlap) and pairs of neighbouring content words (some word
 * order). No model, no download, no network, cheap enough for every lookup. It sees spelling, not
 * meaning, so it recognizes rewordings that keep most words; an API embedder finds more paraphrases.
 * Its threshold hint (0.6) is loose on purpose: the semantic layer's guard decides each match.
 * @example
 * ```ts
 * chroma({ embedder: localEmbedder({ dimensions: 1024 }), threshold: 0.65 });
 * ```
 */
export function localEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? 512;
  const stopWordWeight = options.stopWordWeight ?? 0.3;
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 65_536) {
    throw new RagCacheError("E_CONFIG_INVALID", `dimensions must be an integer from 8 to 65536, got ${dimensions}`, {
      source: "local embedder",
    });
  }
  if (!(stopWordWeight >= 0 && stopWordWeight <= 1)) {
    throw new RagCacheError("E_CONFIG_INVALID", `stopWordWeight must be from 0 to 1, got ${stopWordWeight}`, {
      source: "local embedder",
    });
  }
  const vectorOf = (text: string): number[] => {
    const vector = new Float64Array(dimensions);
    const add = (feature: string, weight: number) => {
      const h = hash32(feature);
      vector[h % dimensions]! += h & 0x80000000 ? -weight : weight;
    };
    let previous: string | undefined;
    for (const word of words(text)) {
      const stop = STOP_WORDS.has(word);
      const token = stem(word);
      const weight = stop ? stopWordWeight : 1;
      add(`w:${token}`, weight);
      const padded = `<${token}>`;
      for (let n = 3; n <= 4; n++)
        for (let i = 0; i + n <= padded.length; i++) add(`c:${padded.slice(i, i + n)}`, weight * CHAR_GRAM_WEIGHT);
      if (!stop) {
        if (previous) add(`b:${previous} ${token}`, BIGRAM_WEIGHT);
        previous = token;
      }
    }
    return normalize(vector, text);
  };
  return memoizeEmbedder({
    id: `${VERSION}-${dimensions}${stopWordWeight === 0.3 ? "" : `-s${stopWordWeight}`}`,
    dimensions,
    threshold: 0.6,
    embed: async (texts) => texts.map(vectorOf),
  });
}

function normalize(vector: Float64Array, text: string): number[] {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  // A text without words still needs a unit vector: cosine is undefined for the zero vector.
  if (norm === 0) {
    vector[hash32(`empty:${text}`) % vector.length] = 1;
    norm = 1;
  }
  return Array.from(vector, (x) => x / norm);
}

/** FNV-1a over UTF-16 units with a murmur finalizer: the low bits pick the slot, the top bit the sign. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
