/**
 * Whether two different words are one word mistyped: one edit (a letter added, dropped, changed, or
 * two neighbours swapped) on words of 5+ letters, two edits on words of 8+ letters of the same
 * length ("amoxicillin"/"ampicillin" are two edits apart, and two drugs). Never across a first letter, a digit, or a pair the caller names as distinct (units,
 * opposites): "increase"/"decrease" and "megabit"/"megabyte" are two edits apart and mean different things.
 */
export function isTypo(a: string, b: string): boolean {
  const shorter = Math.min(a.length, b.length);
  if (shorter < 5 || a[0] !== b[0] || /\p{N}/u.test(a + b)) return false;
  const allowed = shorter >= 8 && a.length === b.length ? 2 : 1;
  if (Math.abs(a.length - b.length) > allowed) return false;
  return editDistance(a, b, allowed) <= allowed;
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), giving up past `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > limit) return best;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
