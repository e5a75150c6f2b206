/** Smallest distinguished latency: 100 ns. Anything faster lands in the first bucket. */
const MIN_MS = 1e-4;
/** Buckets per doubling: each is 2^(1/8) ≈ 9 % wider than the one before. */
const PER_OCTAVE = 8;
/** 30 doublings from 100 ns reach ≈ 107 s; slower lands in an overflow bucket. */
const OCTAVES = 30;
const BUCKETS = PER_OCTAVE * OCTAVES;
const SCALE = PER_OCTAVE / Math.LN2;

/** Sampled latencies of one kind, in ms: `Histogram.summary()`, found throughout a metrics snapshot. */
export interface LatencySummary {
  count: number;
  /** Milliseconds; 0 while nothing was recorded. */
  mean: number;
  min: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The one percentile implementation: /stats, the dashboard and the metrics plugin all read latencies
 * from it. Latencies in fixed log-scale buckets: constant memory (≈2 KB) whatever the traffic, O(1) to record,
 * and a percentile within ±4.5 % of the true sample (the bucket's geometric middle, clamped to the
 * observed min and max). Prometheus buckets are every 8th boundary (powers of two), so they are exact.
 * @example
 * ```ts
 * const latency = new Histogram();
 * latency.record(0.42);
 * latency.percentile(0.95); // ms
 * ```
 */
export class Histogram {
  #counts = new Float64Array(BUCKETS + 1);
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  record(ms: number): void {
    if (!(ms >= 0)) return;
    const index = ms <= MIN_MS ? 0 : Math.min(BUCKETS, Math.floor(Math.log(ms / MIN_MS) * SCALE));
    this.#counts[index]!++;
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** Adds another histogram's recordings to this one (to combine time slices). */
  add(other: Histogram): this {
    for (let i = 0; i <= BUCKETS; i++) this.#counts[i]! += other.#counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /** The value below which a fraction `p` (0..1) of the recorded latencies lie, in ms. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, MIN_MS * 2 ** ((i + 0.5) / PER_OCTAVE)));
    }
    return this.max;
  }

  summary(): LatencySummary {
    const empty = this.count === 0;
    return {
      count: this.count,
      mean: empty ? 0 : this.sum / this.count,
      min: empty ? 0 : this.min,
      max: this.max,
      p50: this.percentile(0.5),
      p95: this.percentile(0.95),
      p99: this.percentile(0.99),
    };
  }

  /** Cumulative counts at every power-of-two boundary, in seconds, as Prometheus `le` buckets. */
  buckets(): { le: number; count: number }[] {
    const result: { le: number; count: number }[] = [];
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if ((i + 1) % PER_OCTAVE === 0) result.push({ le: (MIN_MS * 2 ** ((i + 1) / PER_OCTAVE)) / 1000, count: seen });
    }
    return result;
  }
}
