/**
 * Word-level analysis shared by the local embedder and the semantic layer's false-positive guard.
 * English-centred and deliberately small: no dictionary, no model, nothing to download.
 */

const WORD = /[\p{L}\p{N}]+(?:['’]\p{L}+)*/gu;

/** Function words: they carry little of a question's meaning, so paraphrases may differ in them. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the this that these those some any each every such " +
    "i me my mine we us our you your yours he him his she her it its they them their one someone something " +
    "is are was were be been being am do does did doing done have has had having " +
    "can could would should will shall may might must " +
    "what which who whom whose when where why how whether " +
    "of in on at to for from with by about as into onto over under between through during within upon per via " +
    "and or but if then so than too also just very really quite only even still please " +
    "there here out up s t ll ve re d m"
  ).split(" "),
);

/** Words that turn a statement around; a question and its negation must never share an answer. */
export const NEGATIONS: ReadonlySet<string> = new Set([
  "not",
  "no",
  "never",
  "without",
  "none",
  "nothing",
  "nobody",
  "neither",
  "nor",
  "cannot",
]);

const SMALL =
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split(
    " ",
  );
const TENS = "thirty forty fifty sixty seventy eighty ninety".split(" ");
const ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth".split(" ");
const NUMBER_WORDS = new Map<string, string>([
  ...SMALL.slice(2).map((word, i) => [word, String(i + 2)] as const),
  ["zero", "0"],
  ...TENS.map((word, i) => [word, String((i + 3) * 10)] as const),
  ...ORDINALS.map((word, i) => [word, String(i + 1)] as const),
  ["hundred", "100"],
  ["thousand", "1000"],
  ["million", "1000000"],
  ["billion", "1000000000"],
  ["dozen", "12"],
]);

/** The numeric value a token stands for ("5", "five", "fifth" → "5"), or undefined. */
export function numberOf(token: string): string | undefined {
  if (/^\p{N}+$/u.test(token)) return String(Number(token));
  return NUMBER_WORDS.get(token);
}

/** Lower-cased words, contractions opened up: "isn't" → "is", "not"; "what's" → "what", "is". */
export function words(text: string): string[] {
  const out: string[] = [];
  // Soft hyphens and zero-width characters are invisible in the question; they must not split a word.
  for (const match of text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u00ad\u200b-\u200d\u2060\ufeff]/g, "")
    .matchAll(WORD)) {
    const word = match[0].replace(/’/g, "'");
    const apostrophe = word.indexOf("'");
    if (apostrophe < 0) {
      out.push(word);
      continue;
    }
    const head = word.slice(0, apostrophe);
    const tail = word.slice(apostrophe + 1);
    if (tail === "t" && head.endsWith("n")) {
      out.push(head === "won" ? "will" : head === "can" ? "can" : head.slice(0, -1), "not");
    } else {
      out.push(head);
      if (tail !== "s") out.push(tail);
    }
  }
  return out;
}

/** Words whose "-ing" or "-ed" is not a suffix. */
const KEEP = new Set(
  "string thing spring bring during morning evening ceiling nothing something anything everything embed hundred".split(" "),
);

/**
 * A light suffix stripper (plural, -ing, -ed, -ly, final e) so "databases"/"database",
 * "caching"/"cache", "setting"/"set" and "safely"/"safe" meet; far cruder than Porter, on purpose: it must never merge two different words
 * often enough to let the guard pass a different question.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\p{N}/u.test(word)) return word;
  let s = word;
  if (s.endsWith("ies") && s.length > 4) s = `${s.slice(0, -3)}y`;
  else if (s.endsWith("sses")) s = s.slice(0, -2);
  else if (s.endsWith("s") && !/(ss|us|is)$/.test(s)) s = s.slice(0, -1);
  if (s.length > 5 && s.endsWith("ing") && !KEEP.has(s)) s = undouble(s.slice(0, -3));
  else if (s.length > 4 && s.endsWith("ed") && !s.endsWith("eed") && !KEEP.has(s)) s = undouble(s.slice(0, -2));
  else if (s.length >= 6 && s.endsWith("ly") && !/(ply|bly|ily|fly)$/.test(s)) s = s.slice(0, -2);
  if (s.length > 3 && s.endsWith("e")) s = s.slice(0, -1);
  return s;
}

/** "sett" (from "setting") → "set", "stopp" → "stop"; "call", "pass" and short stems ("add") stay. */
function undouble(stemmed: string): string {
  return stemmed.length > 3 && /([^aeiouylsz])\1$/.test(stemmed) ? stemmed.slice(0, -1) : stemmed;
}
