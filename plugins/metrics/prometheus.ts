import type { Histogram } from "../../src/index.ts";

export type Labels = Record<string, string>;
type MetricType = "counter" | "gauge" | "histogram";

/** A label value in the exposition format: backslash, double quote and newline escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * Builds Prometheus text exposition (format 0.0.4): each family once, `# HELP` and `# TYPE` before
 * its samples. Families without samples are left out, as Prometheus expects.
 */
export class Exposition {
  #families = new Map<string, { type: MetricType; help: string; lines: string[] }>();

  #family(name: string, type: MetricType, help: string): string[] {
    let family = this.#families.get(name);
    if (!family) this.#families.set(name, (family = { type, help, lines: [] }));
    return family.lines;
  }

  counter(name: string, help: string, value: number, labels: Labels = {}): this {
    this.#family(name, "counter", help).push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  gauge(name: string, help: string, value: number, labels: Labels = {}): this {
    this.#family(name, "gauge", help).push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  /** A latency histogram in seconds (the histogram records milliseconds). */
  histogram(name: string, help: string, histogram: Histogram, labels: Labels = {}): this {
    const lines = this.#family(name, "histogram", help);
    for (const { le, count } of histogram.buckets())
      lines.push(`${name}_bucket${formatLabels({ ...labels, le: String(le) })} ${count}`);
    lines.push(`${name}_bucket${formatLabels({ ...labels, le: "+Inf" })} ${histogram.count}`);
    lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(histogram.sum / 1000)}`);
    lines.push(`${name}_count${formatLabels(labels)} ${histogram.count}`);
    return this;
  }

  toString(): string {
    let text = "";
    for (const [name, { type, help, lines }] of this.#families) {
      if (!lines.length) continue;
      text += `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${name} ${type}\n${lines.join("\n")}\n`;
    }
    return text;
  }
}
