import { numberOf, stem, words } from "./embedders/text.ts";

/** Words the semantic layer treats as one: extends or replaces the built-in tables. */
export interface LexiconOptions {
  /**
   * Short forms and what they stand for, e.g. `{ sla: "service level agreement" }`; added to the
   * built-in table. A short form after a number is left alone ("100 ml" stays millilitres).
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

/** Common short forms; deliberately unambiguous ones (no "ms", "pt", "us"). */
const ABBREVIATIONS: Record<string, string> = {
  ai: "artificial intelligence",
  ml: "machine learning",
  llm: "large language model",
  llms: "large language models",
  nlp: "natural language processing",
  rag: "retrieval augmented generation",
  sla: "service level agreement",
  slo: "service level objective",
  k8s: "kubernetes",
  ci: "continuous integration",
  aws: "amazon web services",
  gcp: "google cloud platform",
  vpn: "virtual private network",
  dns: "domain name system",
  db: "database",
  dbs: "databases",
  js: "javascript",
  ts: "typescript",
  py: "python",
  repo: "repository",
  repos: "repositories",
  config: "configuration",
  app: "application",
  apps: "applications",
  cpu: "central processing unit",
  gpu: "graphics processing unit",
  ram: "memory",
  os: "operating system",
  ui: "user interface",
  ux: "user experience",
  cli: "command line interface",
  "2fa": "two factor authentication",
  mfa: "multi factor authentication",
  faq: "frequently asked questions",
  faqs: "frequently asked questions",
  eta: "estimated time of arrival",
  asap: "as soon as possible",
  pto: "paid time off",
  hr: "human resources",
  kpi: "key performance indicator",
  kpis: "key performance indicators",
  okr: "objectives and key results",
  ceo: "chief executive officer",
  cfo: "chief financial officer",
  cto: "chief technology officer",
  apr: "annual percentage rate",
  apy: "annual percentage yield",
  roi: "return on investment",
  irs: "internal revenue service",
  hoa: "homeowners association",
  ira: "individual retirement account",
  etf: "exchange traded fund",
  etfs: "exchange traded funds",
  ecg: "electrocardiogram",
  ekg: "electrocardiogram",
  bmi: "body mass index",
  bp: "blood pressure",
  nsaid: "nonsteroidal anti inflammatory drug",
  nsaids: "nonsteroidal anti inflammatory drugs",
  icu: "intensive care unit",
  gdpr: "general data protection regulation",
  nda: "non disclosure agreement",
  ndas: "non disclosure agreements",
  llc: "limited liability company",
  eu: "european union",
  uk: "united kingdom",
  usa: "united states",
  nyc: "new york city",
  id: "identification",
  info: "information",
  docs: "documentation",
  pic: "picture",
  pics: "pictures",
  msg: "message",
  pwd: "password",
  acct: "account",
  qty: "quantity",
  approx: "approximately",
  govt: "government",
  dept: "department",
  mgr: "manager",
  uni: "university",
  tv: "television",
  pc: "computer",
  pcs: "computers",
};

/**
 * Rewordings that keep the question. Deliberately conservative: a wrong group lets different
 * questions share an answer. Opposites ("enable"/"disable") never belong in one group.
 */
const SYNONYMS: readonly (readonly string[])[] = [
  ["author", "writer", "wrote", "write", "written"],
  ["build", "built", "construct", "constructed"],
  ["use", "used", "using", "usage", "utilize", "utilise"],
  ["dictionary", "dict", "dicts"],
  ["configure", "configuration", "setup", "set-up"],
  ["enable", "activate"],
  ["disable", "deactivate"],
  ["begin", "start", "commence", "kick"],
  ["stop", "halt"],
  ["end", "terminate", "finish"],
  ["fix", "repair", "solve", "resolve", "troubleshoot"],
  ["remove", "delete", "erase", "eliminate"],
  ["create", "make", "generate"],
  ["fast", "quick", "speedy", "rapid"],
  ["fastest", "quickest"],
  ["big", "large", "huge"],
  ["biggest", "largest"],
  ["small", "little", "tiny"],
  ["smallest", "tiniest"],
  ["cost", "price", "pricing"],
  ["cheap", "inexpensive", "affordable"],
  ["buy", "purchase"],
  ["car", "automobile", "vehicle"],
  ["choose", "pick", "select"],
  ["get", "obtain", "acquire"],
  ["show", "display"],
  ["find", "locate"],
  ["change", "modify", "alter"],
  ["reduce", "lower"],
  ["mistake", "error"],
  ["improve", "boost", "enhance", "amplify"],
  ["purpose", "aim", "goal"],
  ["verify", "confirm", "validate"],
  ["run", "execute", "launch"],
  ["assess", "evaluate", "appraise"],
  ["symptom", "sign"],
  ["combine", "merge", "join"],
  ["calculate", "compute"],
  ["skip", "miss"],
  ["contact", "reach"],
  ["store", "keep"],
  ["help", "assist"],
  ["need", "require"],
  ["allow", "permit"],
  ["job", "position"],
  ["salary", "wage"],
  ["doctor", "physician"],
  ["medicine", "medication", "drug"],
  ["lawyer", "attorney"],
  ["movie", "film"],
  ["picture", "photo", "image"],
  ["issue", "problem", "trouble"],
  ["correct", "proper"],
  ["child", "children", "kid", "kids"],
  ["person", "people"],
];

/**
 * Phrases that wrap a question without asking anything, removed before comparing. Longest first
 * where one contains another.
 */
const FILLERS = [
  "hi there",
  "hello there",
  "hey there",
  "good morning",
  "good afternoon",
  "good evening",
  "thanks in advance",
  "thank you in advance",
  "thank you",
  "one more thing",
  "quick question",
  "real quick",
  "just curious",
  "out of curiosity",
  "by the way",
  "any idea",
  "any ideas",
  "if you don't mind",
  "if you do not mind",
  "sorry to bother you",
  "hope you're well",
  "hope you are well",
  "i hope you're well",
  "i need some help",
  "i need help",
  "i have a question",
  "i was wondering",
  "i am wondering",
  "i'm wondering",
  "i wonder",
  "i'd like to know",
  "i would like to know",
  "i want to know",
  "i'm trying to figure out",
  "i am trying to figure out",
  "trying to figure out",
  "can you tell me",
  "could you tell me",
  "can someone tell me",
  "could someone tell me",
  "can anyone tell me",
  "could you let me know",
  "can you let me know",
  "please let me know",
  "let me know",
  "can you please",
  "could you please",
  "could you kindly",
  "help me understand",
  "can you help me",
  "could you help me",
  "walk me through",
  "show me",
  "tell me",
  "give me",
  "hi",
  "hello",
  "hey",
  "thanks",
  "please",
  "kindly",
  "basically",
  "um",
  "uh",
  "hmm",
  "ok",
  "okay",
];

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
 * const lexicon = createLexicon({ abbreviations: { pr: "pull request" }, synonyms: [["switch", "toggle"]] });
 * lexicon.text("hi! how do I review a PR"); // "how do i review a pull request"
 */
export function createLexicon(options: LexiconOptions = {}): Lexicon {
  const abbreviations = new Map<string, string[]>();
  for (const [short, long] of Object.entries({ ...ABBREVIATIONS, ...options.abbreviations }))
    abbreviations.set(short.toLowerCase(), words(long));
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
    kept.forEach((word, i) => {
      const expansion = abbreviations.get(word);
      if (expansion && numberOf(kept[i - 1] ?? "") === undefined) out.push(...expansion);
      else out.push(word);
    });
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
