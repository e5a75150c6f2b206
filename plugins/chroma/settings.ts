import { parseOptions, toMs } from "../../src/index.ts";
import { localEmbedder, openAIEmbedder, type Embedder } from "./embedders/index.ts";
import { meaningGuard, type SemanticGuard } from "./guard.ts";
import { createLexicon, type LexiconOptions } from "./lexicon.ts";
import { optionsSchema, type ChromaOptions } from "./options.ts";
import { chatVerifier } from "./verify.ts";

/** Least default threshold with `guard: false`. */
const UNGUARDED_THRESHOLD = 0.9;

/** The layer's options validated (as `loadConfig` validates them) and turned into what it works with. */
export function layerSettings(chromaOptions: ChromaOptions) {
  const options = parseOptions(optionsSchema, chromaOptions, "chroma");
  const embedder = embedderOf(options.embedder);
  // Similarity alone must be strict: the embedder's hint assumes the guard checks each match.
  const threshold =
    options.threshold ??
    (options.guard === false ? Math.max(UNGUARDED_THRESHOLD, embedder.threshold ?? 0) : (embedder.threshold ?? 0.9));
  // Own entries only: a namespace may be named "constructor", which must not find Object's.
  const thresholdOf = (namespace: string) =>
    Object.hasOwn(options.thresholds, namespace) ? options.thresholds[namespace]! : threshold;
  const vocabulary: LexiconOptions = {
    abbreviations: options.abbreviations,
    synonyms: options.synonyms,
    fillers: options.fillers,
  };
  const lexicon = createLexicon(vocabulary);
  const guard = guardOf(options.guard, vocabulary);
  const verify = options.verify && {
    verifier: options.verify.verifier ?? chatVerifier(options.verify),
    band: options.verify.band,
    timeout: toMs(options.verify.timeout, "verify.timeout"),
  };
  const connection = {
    name: options.name,
    url: options.url,
    collection: options.collection,
    headers: options.headers,
    requestTimeout: toMs(options.timeout, "timeout"),
    retryAfter: toMs(options.retryAfter, "retryAfter"),
  };
  const sweepEvery = toMs(options.sweepInterval, "sweepInterval");
  return { options, embedder, threshold, thresholdOf, lexicon, guard, verify, connection, sweepEvery };
}

function embedderOf(option: ChromaOptions["embedder"]): Embedder {
  if (option === undefined || option === "local") return localEmbedder();
  if (option === "openai") return openAIEmbedder();
  if ("embed" in option) return option;
  const { type, ...settings } = option;
  return type === "local" ? localEmbedder(settings) : openAIEmbedder(settings);
}

function guardOf(option: ChromaOptions["guard"], vocabulary: LexiconOptions): SemanticGuard {
  if (option === false) return () => true;
  if (typeof option === "function") return option;
  const settings = option === undefined || option === true ? {} : option;
  return meaningGuard({
    ...settings,
    abbreviations: { ...vocabulary.abbreviations, ...settings.abbreviations },
    synonyms: [...(vocabulary.synonyms ?? []), ...(settings.synonyms ?? [])],
    fillers: [...(vocabulary.fillers ?? []), ...(settings.fillers ?? [])],
  });
}
