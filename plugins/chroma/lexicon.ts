import { numberOf, stem, words } from "./embedders/text.ts";
import { ABBREVIATIONS, FILLERS, SYNONYMS } from "./vocabulary.ts";

/** Words the semantic layer treats as one: extends or replaces the built-in tables. */
export interface LexiconOptions {
  /**
   * Short forms and what they stand for, e.g. `{ sla: "service level agreement" }`, also two-word
   * phrases (`{ "turn on": "enable" }`); added to the built-in table. A short form after a number is
   * left alone ("100 ml" stays millilitres).
   */
  abbreviations?: Record<string, string>;
  /** Groups of words that count as the same word, e.g. `[["switch", "toggle"]]`; added to the built-in groups. */
  synonyms?: readonly (readonly string[])[];
  /** Phrases that only wrap a question ("quick question", "thanks in advance"); added to the built-in list. */
  fillers?: readonly string[];
}

/** A question reduced to what it asks: fillers gone, abbreviations spelled out, synonyms merged. */
export interface Lexicon {
  /** The words that carry the question, in order: lower case, fillers removed, abbreviations spelled out. */
  tokens(text: string): string[];
  /** `tokens(text)` with synonyms replaced by their group's first word, joined by spaces: what the layer embeds. */
  text(text: string): string;
  /** The canonical stem of a word: stemmed, then mapped to its synonym group. */
  term(word: string): string;
}

/** Hyphenated prefixes kept on their word: "non-root" is one word, not a negation of "root". */
const PREFIX_HYPHEN = /\b(non|pre|re|co|anti|e|un|de|dis|multi|sub|self|post|inter)-(?=\p{L})/gu;

interface Phrase {
  words: string[];
}

/**
 * The built-in tables plus the user's: abbreviations, synonyms and fillers. One per layer; the
 * guard and the embedded text share it, so what the guard merges the embedder sees merged too.
 *
 * @example
 * ```ts
 * const lexicon = createLexicon({ abbreviations: { sbom: "software bill of materials" } });
 * lexicon.text("hi! where is our SBOM?"); // "where is our software bill of materials"
 * ```
 */
export function createLexicon(options: LexiconOptions = {}): Lexicon {
  const abbreviations = new Map<string, string[]>();
  for (const [short, long] of Object.entries({ ...ABBREVIATIONS, ...options.abbreviations }))
    abbreviations.set(words(short).join(" "), words(long));
  const canonical = new Map<string, string>();
  const headWord = new Map<string, string>();
  for (const group of [...SYNONYMS, ...(options.synonyms ?? [])]) {
    const first = words(group[0]!).join("");
    const head = canonical.get(stem(first)) ?? stem(first);
    for (const word of group) {
      const joined = words(word).join("");
      canonical.set(stem(joined), head);
      if (!headWord.has(head)) headWord.set(head, first);
    }
  }
  const fillers: Phrase[] = [...(options.fillers ?? []), ...FILLERS]
    .map((phrase) => ({ words: words(phrase) }))
    .filter((phrase) => phrase.words.length > 0)
    .sort((a, b) => b.words.length - a.words.length);

  const term = (word: string) => {
    const stemmed = stem(word);
    return canonical.get(stemmed) ?? stemmed;
  };
  const memo = new Map<string, string[]>();
  const tokens = (text: string): string[] => {
    const known = memo.get(text);
    if (known) return known;
    const raw = words(text.toLowerCase().replace(PREFIX_HYPHEN, "$1"));
    const kept = withoutFillers(raw, fillers);
    const out: string[] = [];
    for (let i = 0; i < kept.length; i++) {
      const pair = abbreviations.get(`${kept[i]} ${kept[i + 1]}`);
      const expansion = pair ?? abbreviations.get(kept[i]!);
      if (pair) i++;
      if (expansion && numberOf(kept[i - 1] ?? "") === undefined) out.push(...expansion);
      else out.push(kept[i]!);
    }
    if (memo.size >= 2_000) memo.clear();
    memo.set(text, out);
    return out;
  };
  const head = (word: string) => {
    const mapped = canonical.get(stem(word));
    return mapped === undefined ? word : (headWord.get(mapped) ?? word);
  };
  return { tokens, text: (text) => tokens(text).map(head).join(" "), term };
}

function withoutFillers(raw: string[], fillers: Phrase[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; ) {
    const filler = fillers.find((phrase) => phrase.words.every((word, j) => raw[i + j] === word));
    if (filler) i += filler.words.length;
    else out.push(raw[i++]!);
  }
  return out;
}
