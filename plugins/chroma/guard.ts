import { NEGATIONS, STOP_WORDS, numberOf, stem, words } from "./embedders/text.ts";

/**
 * Decides whether a stored question (`candidate`) may answer `query` once their embeddings are
 * close enough. Both texts arrive normalized (NFKC, lower case). Return false to refuse the match.
 */
export type SemanticGuard = (query: string, candidate: string) => boolean;

/**
 * What `meaningGuard` (and the chroma layer's `guard` option) takes: which checks run, and words to
 * treat as the same or to ignore.
 * @example
 * ```ts
 * chroma({ guard: { numbers: false, synonyms: [["car", "automobile"]], ignore: ["kindly"] } });
 * ```
 */
export interface GuardOptions {
  /** Numbers ("5", "five", "fifth", "2020") must be the same in both texts. Default true. */
  numbers?: boolean;
  /** Both texts must be negated, or neither ("not", "no", "never", "without", "n't" …). Default true. */
  negations?: boolean;
  /**
   * Every content word (not a function word, a number or a negation) of one text must appear in the
   * other, after stemming and synonyms. This is what catches a changed name or object: "capital of
   * France" vs "of Germany", "install" vs "uninstall". Default true.
   */
  contentWords?: boolean;
  /**
   * Words after "from", "to", "than", "vs", "versus" must be the same in both texts where both use
   * that word equally often: "from paris to london" is not "from london to paris". Default true.
   */
  order?: boolean;
  /** Groups of words that count as the same content word; added to the built-in groups. */
  synonyms?: readonly (readonly string[])[];
  /** Content words that may appear on one side only (request phrasing); added to the built-in list. */
  ignore?: readonly string[];
}

/** Words that phrase a request without changing what is asked: "explain X" asks what "what is X" asks. */
const PHRASING =
  "explain describe tell show give list know want need like help mean meaning definition define way summary summarize summarise brief briefly question answer please thank thanks exactly".split(
    " ",
  );

/** Common rewordings of questions. Deliberately short: a wrong group lets different questions share an answer. */
const SYNONYMS = [
  ["author", "writer", "wrote", "write", "written"],
  ["build", "built", "construct", "constructed"],
  ["use", "used", "using", "usage"],
  ["dictionary", "dict"],
  ["repository", "repo"],
  ["configuration", "config", "configure", "setup"],
  ["application", "app"],
  ["database", "db"],
  ["javascript", "js"],
  ["typescript", "ts"],
  ["enable", "activate"],
  ["disable", "deactivate"],
  ["begin", "start"],
  ["fix", "repair", "solve", "resolve"],
  ["remove", "delete", "erase"],
  ["create", "make", "generate"],
  ["fast", "quick", "speed", "rapid"],
  ["big", "large", "huge"],
  ["small", "little", "tiny"],
  ["cost", "price"],
  ["buy", "purchase"],
  ["car", "automobile"],
];

/** Words whose object tells a direction or a comparison, so swapping two objects changes the question. */
const RELATIONS = new Set(["from", "to", "than", "vs", "versus"]);

interface Signature {
  numbers: string;
  negated: boolean;
  content: Set<string>;
  /** Relation word → the content words that follow each use of it, in order. */
  relations: Map<string, string[]>;
}

/**
 * The default false-positive guard: semantic similarity alone lets "top 5 papers" answer "top 10
 * papers" and "is x safe" answer "is x not safe". It compares numbers, negation and content words,
 * each switchable. It relies on words, not capitals (keys are lower-cased), so a named entity is
 * simply a content word that must be present on both sides. It refuses some true paraphrases that
 * use different content words ("boiling point" vs "temperature … boil"): a guarded miss costs a
 * loader call, a false hit serves a wrong answer.
 * @example
 * ```ts
 * meaningGuard()("top 5 papers on rag", "top 10 papers on rag"); // false
 * ```
 */
export function meaningGuard(options: GuardOptions = {}): SemanticGuard {
  const canonical = new Map<string, string>();
  for (const group of [...SYNONYMS, ...(options.synonyms ?? [])]) {
    const head = canonical.get(stem(group[0]!)) ?? stem(group[0]!);
    for (const word of group) canonical.set(stem(word), head);
  }
  const ignored = new Set([...PHRASING, ...(options.ignore ?? [])].map(stem));
  const checkNumbers = options.numbers ?? true;
  const checkNegations = options.negations ?? true;
  const checkContent = options.contentWords ?? true;
  const checkOrder = options.order ?? true;
  const memo = new Map<string, Signature>();

  const signature = (text: string): Signature => {
    const known = memo.get(text);
    if (known) return known;
    const numbers: string[] = [];
    const content = new Set<string>();
    const relations = new Map<string, string[]>();
    let negations = 0;
    let relation: string | undefined;
    for (const word of words(text)) {
      const number = numberOf(word);
      if (number !== undefined) numbers.push(number);
      else if (NEGATIONS.has(word)) negations++;
      else if (RELATIONS.has(word)) relation = word;
      else if (!STOP_WORDS.has(word)) {
        const stemmed = stem(word);
        if (ignored.has(stemmed)) continue;
        const term = canonical.get(stemmed) ?? stemmed;
        content.add(term);
        if (relation) {
          relations.set(relation, [...(relations.get(relation) ?? []), term]);
          relation = undefined;
        }
      }
    }
    const made = { numbers: numbers.sort().join(" "), negated: negations % 2 === 1, content, relations };
    if (memo.size >= 1_000) memo.clear();
    memo.set(text, made);
    return made;
  };

  return (query, candidate) => {
    if (query === candidate) return true;
    const a = signature(query);
    const b = signature(candidate);
    if (checkNumbers && a.numbers !== b.numbers) return false;
    if (checkNegations && a.negated !== b.negated) return false;
    if (checkContent && (a.content.size !== b.content.size || [...a.content].some((word) => !b.content.has(word)))) return false;
    if (checkOrder) {
      for (const [relation, objects] of a.relations) {
        const others = b.relations.get(relation);
        if (others?.length === objects.length && others.some((object, i) => object !== objects[i])) return false;
      }
    }
    return true;
  };
}
