import { NEGATIONS, STOP_WORDS, numberOf, stem } from "./embedders/text.ts";
import { createLexicon, type Lexicon, type LexiconOptions } from "./lexicon.ts";
import { isTypo } from "./typos.ts";

/**
 * Decides whether a stored question (`candidate`) may answer `query` once their embeddings are
 * close enough. Both texts arrive normalized (NFKC, lower case). Return true to serve the match,
 * false or the reason (e.g. "number differs: 5 vs 10") to refuse it.
 */
export type SemanticGuard = (query: string, candidate: string) => boolean | string;

/**
 * What `meaningGuard` (and the chroma layer's `guard` option) takes: which checks run, and words to
 * treat as the same or to ignore.
 * @example
 * ```ts
 * chroma({ guard: { numbers: false, typos: false, synonyms: [["car", "automobile"]], ignore: ["kindly"] } });
 * ```
 */
export interface GuardOptions extends LexiconOptions {
  /** Numbers ("5", "five", "fifth", "2020", "3.12") must be the same in both texts. Default true. */
  numbers?: boolean;
  /** Both texts must be negated, or neither ("not", "no", "never", "without", "n't" …). Default true. */
  negations?: boolean;
  /**
   * Every content word (not a function word, a number or a negation) of one text must appear in the
   * other, after fillers, abbreviations, synonyms, stemming, compounds ("set up"/"setup") and typos.
   * This catches a changed name or object ("capital of France" vs "of Germany", "install" vs
   * "uninstall") and a dropped particle ("sign in" vs "sign out"). Default true.
   */
  contentWords?: boolean;
  /**
   * A word must follow the same direction word (from, to, into, onto, than) in both texts:
   * "from paris to london" is not "from london to paris", "vue 2 app to vue 3" not "vue 3 app to vue 2". Default true.
   */
  order?: boolean;
  /**
   * Words of 5+ letters one edit apart (8+ letters of equal length: two) count as the same word,
   * never across a first letter, a digit or two units ("megabit"/"megabyte"). Default true.
   */
  typos?: boolean;
  /** Content words that may appear on one side only (request phrasing); added to the built-in list. */
  ignore?: readonly string[];
}

/** Words that phrase a request without changing what is asked. */
const PHRASING =
  "mean meaning definition way exactly briefly question wondering please thank thanks located vs versus much many".split(" ");
/** Verbs and nouns that phrase a request: "list the symptoms" asks "what are the symptoms". */
const LEADS =
  "explain describe tell show give list define summarize summarise summary overview walkthrough guide tutorial instructions instruction steps step procedure howto tips advice know want need help".split(
    " ",
  );
/** Function words that still change the question when they follow a verb: "sign in" vs "sign out", "scale up" vs "down". */
const PARTICLES = new Set(["up", "down", "out", "off", "back", "away"]);
/** Words whose object is a direction or a comparison, so moving a word across them changes the question. */
const RELATIONS = new Set(["from", "to", "into", "onto", "than"]);
/** Words allowed inside the phrase after a direction word: "to the host", "onto my feature branch". */
const DETERMINERS = new Set("a an the my your our their his her its this that these those some".split(" "));
/** Units: never typos of each other ("megabit"/"megabyte"), and the unit right after a number keeps its place. */
const UNITS = new Set(
  (
    "bit byte kilobit kilobyte megabit megabyte gigabit gigabyte terabit terabyte petabyte kb mb gb tb " +
    "mm cm m km meter metre kilometer kilometre mile inch foot feet yard " +
    "mg g gram kilogram kg microgram mcg iu pound lb ounce oz ton tonne " +
    "ml l liter litre milliliter millilitre gallon pint quart cup tablespoon teaspoon " +
    "c f k celsius fahrenheit kelvin degree mph kph kmh " +
    "ms millisecond microsecond nanosecond second minute hour day week month year " +
    "dollar euro pound yen cent percent"
  )
    .split(" ")
    .map(stem),
);

interface Term {
  term: string;
  raw: string;
  /** The direction word this word follows ("" for none). */
  role: string;
}

interface Signature {
  numbers: string[];
  negations: string[];
  terms: Term[];
}

/**
 * The default false-positive guard: similarity alone lets "top 5 papers" answer "top 10 papers",
 * "is x safe" answer "is x not safe" and "sign in" answer "sign out". It compares numbers,
 * negation, content words and the words after direction words, each switchable, after removing
 * what does not change the question (fillers, request phrasing) and merging what means the same
 * (abbreviations, synonyms, plurals, compounds, typos). Each refusal says why.
 *
 * @example
 * ```ts
 * const guard = meaningGuard({ synonyms: [["switch", "toggle"]] });
 * guard("top 5 papers on rag", "top 10 papers on rag"); // "number differs: 5 vs 10"
 * ```
 */
export function meaningGuard(options: GuardOptions = {}): SemanticGuard {
  const lexicon = createLexicon(options);
  const ignored = new Set([...PHRASING, ...(options.ignore ?? [])].map((word) => lexicon.term(word)));
  const leads = new Set(LEADS.map((word) => lexicon.term(word)));
  const checks = {
    numbers: options.numbers ?? true,
    negations: options.negations ?? true,
    content: options.contentWords ?? true,
    order: options.order ?? true,
    typos: options.typos ?? true,
  };
  const signatureOf = (tokens: string[]) => signature(tokens, lexicon, ignored, leads);

  return (query, candidate) => {
    if (query === candidate) return true;
    const queryTokens = lexicon.tokens(query);
    const candidateTokens = lexicon.tokens(candidate);
    const a = signatureOf(joinCompounds(queryTokens, candidateTokens));
    const b = signatureOf(joinCompounds(candidateTokens, queryTokens));
    if (checks.numbers) {
      const reason = differs("number", a.numbers, b.numbers);
      if (reason) return reason;
    }
    if (checks.negations && a.negations.length % 2 !== b.negations.length % 2) {
      const [side, words] = a.negations.length % 2 ? ["query", a.negations] : ["match", b.negations];
      return `negation differs: "${words.join(" ")}" in the ${side} only`;
    }
    const same = checks.typos ? typoPairs(a.terms, b.terms) : new Map<string, string>();
    const aligned = b.terms.map((term) => ({ ...term, term: same.get(term.term) ?? term.term }));
    if (checks.content) {
      const [inA, inB] = [new Set(a.terms.map((t) => t.term)), new Set(aligned.map((t) => t.term))];
      // A request verb on one side only ("list the symptoms" / "what are the symptoms") asks the same.
      const asked = (terms: Term[], other: Set<string>) =>
        terms
          .map((t) => t.term)
          .filter((term) => other.has(term) || !(leads.has(term) || (!checks.numbers && term.startsWith("#"))));
      const reason = differs(
        "word",
        asked(a.terms, inB),
        asked(aligned, inA),
        (term) => [...a.terms, ...b.terms].find((t) => t.term === term)?.raw ?? term,
      );
      if (reason) return reason;
    }
    if (checks.order) {
      const reason = roleDiffers(a.terms, aligned);
      if (reason) return reason;
    }
    return true;
  };
}

function signature(tokens: string[], lexicon: Lexicon, ignored: Set<string>, leads: Set<string>): Signature {
  const numbers: string[] = [];
  const negations: string[] = [];
  const terms: Term[] = [];
  let role = "";
  let inPhrase = false;
  let afterContent = false;
  let afterNumber = false;
  for (const word of tokens) {
    const unit = afterNumber && UNITS.has(stem(word));
    const afterUnit = afterContent && UNITS.has(stem(terms.at(-1)?.raw ?? ""));
    afterNumber = false;
    const number = numberOf(word);
    if (number !== undefined) {
      numbers.push(number);
      terms.push({ term: `#${number}`, raw: word, role: inPhrase ? role : "" });
      afterContent = afterNumber = true;
    } else if (NEGATIONS.has(word)) {
      negations.push(word);
      inPhrase = afterContent = false;
    } else if ((RELATIONS.has(word) && (word !== "to" || afterContent)) || ((word === "in" || word === "per") && afterUnit)) {
      // "teaspoons in a tablespoon" is not "tablespoons in a teaspoon": after a unit, "in" and "per" relate too.
      role = word === "into" || word === "onto" ? "to" : word === "per" ? "in" : word;
      inPhrase = true;
      afterContent = false;
    } else if (STOP_WORDS.has(word) && !PARTICLES.has(word)) {
      if (!DETERMINERS.has(word)) inPhrase = false;
      afterContent = false;
    } else {
      const term = lexicon.term(word);
      if (ignored.has(term)) continue;
      afterContent = !leads.has(term);
      terms.push({ term, raw: word, role: unit ? "a number" : inPhrase ? role : "" });
    }
  }
  return { numbers, negations, terms };
}

/** "set up" → "setup" where the other text writes it as one word (also "e mail", "data base", "log in"). */
function joinCompounds(tokens: string[], other: string[]): string[] {
  const known = new Set(other);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const joined = tokens[i]! + (tokens[i + 1] ?? "");
    if (i + 1 < tokens.length && !known.has(tokens[i]!) && known.has(joined)) {
      out.push(joined);
      i++;
    } else out.push(tokens[i]!);
  }
  return out;
}

/** Words of the candidate that are a typo of a word only the query has (or the reverse): candidate term → query term. */
function typoPairs(a: Term[], b: Term[]): Map<string, string> {
  const inA = new Set(a.map((t) => t.term));
  const inB = new Set(b.map((t) => t.term));
  const onlyA = a.filter((t) => !inB.has(t.term));
  const pairs = new Map<string, string>();
  for (const candidate of b) {
    if (inA.has(candidate.term) || pairs.has(candidate.term)) continue;
    const match = onlyA.find((t) => ![...pairs.values()].includes(t.term) && typo(t, candidate));
    if (match) pairs.set(candidate.term, match.term);
  }
  return pairs;
}

function typo(a: Term, b: Term): boolean {
  if (UNITS.has(stem(a.raw)) || UNITS.has(stem(b.raw))) return false;
  return isTypo(a.raw, b.raw) || isTypo(a.term, b.term);
}

/** The reason two lists differ as sets ("number differs: 5 vs 10"), or undefined. */
function differs(what: string, a: string[], b: string[], show = (item: string) => item.replace(/^#/, "")): string | undefined {
  const inA = new Set(a);
  const inB = new Set(b);
  const onlyA = [...inA].filter((item) => !inB.has(item)).map(show);
  const onlyB = [...inB].filter((item) => !inA.has(item)).map(show);
  if (what === "number" && !onlyA.length && !onlyB.length && a.length !== b.length)
    return `number differs: ${a.length} numbers vs ${b.length}`;
  if (onlyA.length && onlyB.length) return `${what} differs: ${onlyA.join(" ")} vs ${onlyB.join(" ")}`;
  if (onlyA.length) return `${what} differs: "${onlyA.join(" ")}" in the query only`;
  if (onlyB.length) return `${what} differs: "${onlyB.join(" ")}" in the match only`;
  return undefined;
}

/**
 * A word that moved from one direction word to another ("to london" / "from london"), or two words
 * that traded places ("onto main" / "main onto"). A word that only gained or lost its direction word
 * ("caching llm responses" / "caching responses from an llm") asks the same.
 */
function roleDiffers(a: Term[], b: Term[]): string | undefined {
  const rolesOf = (terms: Term[], term: string) =>
    [...new Set(terms.filter((t) => t.term === term).map((t) => t.role))].sort().join(",");
  const moves = [...new Map(a.map((t) => [t.term, t])).values()]
    .map((term) => ({ raw: term.raw, inQuery: rolesOf(a, term.term), inMatch: rolesOf(b, term.term) }))
    .filter((move) => move.inQuery !== move.inMatch);
  const where = (roles: string) => (roles ? `after "${roles}"` : "after no direction word");
  for (const move of moves) {
    const traded = moves.some((other) => other.inQuery === move.inMatch && other.inMatch === move.inQuery);
    if ((move.inQuery && move.inMatch) || traded)
      return `direction differs: "${move.raw}" ${where(move.inQuery)} in the query, ${where(move.inMatch)} in the match`;
  }
  return undefined;
}
