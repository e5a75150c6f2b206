/** Timing and statistics shared by the topic benches. */

export function median(values: readonly number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Operations per second of `op` run back to back for about `ms`. A synchronous answer is not
 * awaited, so a cache that answers without a promise is measured without one.
 */
export async function opsPerSecond(op: (i: number) => unknown, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    for (let j = 0; j < 256; j++, n++) {
      const answer = op(n);
      if (answer instanceof Promise) await answer;
    }
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

/**
 * Every variant measured `rounds` times for `roundMs`, after a warm-up, in alternating order so that
 * machine noise hits them alike: the samples and their medians, by variant name.
 */
export async function interleavedOps(
  variants: Record<string, (i: number) => unknown>,
  rounds: number,
  roundMs: number,
): Promise<{ samples: Record<string, number[]>; medians: Record<string, number> }> {
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]]));
  for (const name of names) await opsPerSecond(variants[name]!, 100);
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names)
      samples[name]!.push(await opsPerSecond(variants[name]!, roundMs));
  }
  return { samples, medians: Object.fromEntries(names.map((name) => [name, median(samples[name]!)])) };
}

/** `interleavedOps` over variants that hold resources: each one's `op` measured, then every one closed. */
export async function interleavedVariants(
  variants: Record<string, { op: (i: number) => unknown; close: () => unknown }>,
  rounds: number,
  roundMs: number,
): Promise<{ samples: Record<string, number[]>; medians: Record<string, number> }> {
  const ops = Object.fromEntries(Object.entries(variants).map(([name, { op }]) => [name, op]));
  const measured = await interleavedOps(ops, rounds, roundMs);
  for (const { close } of Object.values(variants)) await close();
  return measured;
}

/**
 * Round by round, `values`' sample divided by `bases`' sample of the same round (a round that lacks
 * either is left out): drift between rounds (other load, the machine's slow and fast spells) then
 * enters no ratio.
 */
export function perRoundRatios(values: readonly (number | undefined)[], bases: readonly (number | undefined)[]): number[] {
  const ratios: number[] = [];
  for (let round = 0; round < values.length; round++) {
    const value = values[round];
    const base = bases[round];
    if (value !== undefined && base !== undefined) ratios.push(value / base);
  }
  return ratios;
}

type Samples = Readonly<Record<string, readonly number[]>>;
/** Round by round, `name`'s sample divided by `base`'s sample of the same round. */
export const ratiosInRounds = (samples: Samples, name: string, base: string) =>
  perRoundRatios(samples[name] ?? [], samples[base] ?? []);
/** The median over rounds of `name`'s sample divided by `base`'s sample of the same round. */
export const ratioInRounds = (samples: Samples, name: string, base: string) => median(ratiosInRounds(samples, name, base));

/**
 * A goal judged on per-round ratios: met or not on their median, and measured as that median with the
 * rounds' range beside it, so that the verdict shows how far one run's rounds spread: "0.84× (rounds 0.68× to 0.98×)".
 */
export function judgeOnRounds(
  ratios: readonly number[],
  isMet: (median: number) => boolean,
  format: (ratio: number) => string = formatRatio,
): { met: boolean; measured: string } {
  const middle = median(ratios);
  const range = ratios.length ? ` (rounds ${format(Math.min(...ratios))} to ${format(Math.max(...ratios))})` : "";
  return { met: isMet(middle), measured: format(middle) + range };
}

/** Operations per second with `inflight` callers each awaiting its previous operation. */
export async function opsPerSecondConcurrent(op: (i: number) => unknown, inflight: number, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  const worker = async () => {
    while (performance.now() < end) await op(n++);
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return n / ((performance.now() - start) / 1000);
}

/** Runs `items` through `worker` with at most `inflight` at a time, in order of the array. */
export async function pool<T>(
  items: readonly T[],
  inflight: number,
  worker: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await worker(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deterministic PRNG (mulberry32), so every contender sees the same stream. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ranks 0..n-1 drawn with probability ∝ 1/(rank+1)^s. */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / (k + 1) ** s;
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const formatOps = (ops: number) =>
  ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : ops >= 1e3 ? `${(ops / 1e3).toFixed(1)} k` : ops.toFixed(0);
export const formatMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3));
export const formatRatio = (ratio: number) =>
  Number.isFinite(ratio) ? `${ratio >= 0.1 ? ratio.toFixed(2) : ratio.toFixed(3)}×` : "—";
