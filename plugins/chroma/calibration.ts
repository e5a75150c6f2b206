/** One labelled pair for calibration: `same` when one cached answer serves both questions. */
export interface LabelledPair {
  query: string;
  candidate: string;
  same: boolean;
  namespace?: string;
  /** 1-based line of the JSONL file it came from; absent for recorded feedback. */
  line?: number;
}

/** A pair as the layer sees it: the similarity of the two questions and the guard's verdict. */
export interface ScoredPair extends LabelledPair {
  similarity: number;
  verdict: true | string;
}

/** One threshold of the curve: shares of the pairs that the layer would serve there. */
export interface CurvePoint {
  threshold: number;
  recall: number;
  falseHits: number;
}

const THRESHOLDS = Array.from({ length: 15 }, (_, i) => Math.round((0.3 + i * 0.05) * 100) / 100);

/**
 * The pairs of a JSONL file, each line `{ "a", "b", "label": "paraphrase" | "near-miss" }` or
 * `{ "query", "matchedText", "verdict": "right" | "wrong" }`, with an optional `namespace`. Lines
 * that are not such pairs are reported by number and skipped.
 */
export function parsePairs(text: string): { pairs: LabelledPair[]; problems: string[] } {
  const pairs: LabelledPair[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      return void problems.push(`line ${line}: not JSON (${(error as Error).message})`);
    }
    const pair = pairOf(json);
    if (typeof pair === "string") return void problems.push(`line ${line}: ${pair}`);
    pairs.push({ ...pair, line });
  });
  return { pairs, problems };
}

function pairOf(json: unknown): LabelledPair | string {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "not a JSON object";
  const { a, b, label, query, matchedText, verdict, namespace } = json as Record<string, unknown>;
  if (namespace !== undefined && typeof namespace !== "string") return "namespace must be a string";
  const scope = namespace === undefined ? {} : { namespace };
  if (typeof a === "string" && typeof b === "string" && a.trim() && b.trim()) {
    if (label !== "paraphrase" && label !== "near-miss") return 'label must be "paraphrase" or "near-miss"';
    return { query: b, candidate: a, same: label === "paraphrase", ...scope };
  }
  if (typeof query === "string" && typeof matchedText === "string" && query.trim() && matchedText.trim()) {
    if (verdict !== "right" && verdict !== "wrong") return 'verdict must be "right" or "wrong"';
    return { query, candidate: matchedText, same: verdict === "right", ...scope };
  }
  return 'wants non-empty "a" and "b" (with "label") or "query" and "matchedText" (with "verdict")';
}

/** Recall and false-hit rate at each threshold, the guard's verdict applied on top. */
export function curve(scored: readonly ScoredPair[]): CurvePoint[] {
  const same = scored.filter((pair) => pair.same);
  const different = scored.filter((pair) => !pair.same);
  const share = (pairs: readonly ScoredPair[], threshold: number) =>
    pairs.length ? pairs.filter((pair) => pair.similarity >= threshold && pair.verdict === true).length / pairs.length : 0;
  return THRESHOLDS.map((threshold) => ({
    threshold,
    recall: share(same, threshold),
    falseHits: share(different, threshold),
  }));
}

/** The threshold with the most recall whose false-hit rate is at most `target`; the highest such on a tie. */
export function pickThreshold(points: readonly CurvePoint[], target: number): CurvePoint | undefined {
  let best: CurvePoint | undefined;
  for (const point of points) {
    if (point.falseHits > target) continue;
    if (!best || point.recall >= best.recall) best = point;
  }
  return best;
}
