import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Tiny hand-written SVG charts (no plotting dependency): horizontal bars and latency CDFs. */

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2"];
const FONT = `font-family="system-ui, sans-serif" font-size="12"`;

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export interface Bar {
  label: string;
  value: number;
  /** Drawn in the accent colour (ragcache's own rows). */
  highlight?: boolean;
}

/** One bar per contender; `log` for values that span orders of magnitude (ops/s from 50 k to 10 M). */
export function barChart(options: {
  title: string;
  unit: string;
  bars: Bar[];
  log?: boolean;
  format: (value: number) => string;
}): string {
  const bars = options.bars.filter((bar) => Number.isFinite(bar.value) && bar.value > 0);
  const labelWidth = 330;
  const barWidth = 380;
  const rowHeight = 24;
  const height = 50 + bars.length * rowHeight + 20;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const min = Math.min(...bars.map((bar) => bar.value), max) / 2;
  const scale = (value: number) =>
    options.log ? (Math.log(value / min) / Math.log(max / min)) * barWidth : (value / max) * barWidth;
  const rows = bars.map((bar, i) => {
    const y = 45 + i * rowHeight;
    const width = Math.max(1, scale(bar.value));
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" ${FONT}>${escape(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${width.toFixed(1)}" height="${rowHeight - 6}" fill="${bar.highlight ? COLORS[0] : "#9ca3af"}"/>`,
      `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 15}" ${FONT}>${escape(options.format(bar.value))}</text>`,
    ].join("");
  });
  const axis = `${options.unit}${options.log ? " (log scale)" : ""}`;
  return svg(labelWidth + barWidth + 110, height, options.title, [
    ...rows,
    `<text x="${labelWidth}" y="${height - 8}" ${FONT} fill="#6b7280">${escape(axis)}</text>`,
  ]);
}

export interface Series {
  label: string;
  /** Latencies in ms, any order. */
  values: readonly number[];
}

/** Cumulative distribution of latencies on a log x axis: where each configuration's requests end. */
export function cdfChart(options: { title: string; series: Series[] }): string {
  const left = 60;
  const top = 40;
  const width = 560;
  const height = 300;
  const all = options.series.flatMap((series) => series.values).filter((value) => value > 0);
  const lo = Math.log10(Math.max(1e-3, Math.min(...all)));
  const hi = Math.log10(Math.max(...all)) + 0.05;
  const x = (ms: number) => left + ((Math.log10(Math.max(ms, 10 ** lo)) - lo) / (hi - lo)) * width;
  const y = (fraction: number) => top + height - fraction * height;
  const parts: string[] = [];
  for (let decade = Math.ceil(lo); decade <= hi; decade++) {
    const px = x(10 ** decade).toFixed(1);
    parts.push(`<line x1="${px}" y1="${top}" x2="${px}" y2="${top + height}" stroke="#e5e7eb"/>`);
    parts.push(
      `<text x="${px}" y="${top + height + 16}" text-anchor="middle" ${FONT}>${10 ** decade >= 1 ? 10 ** decade : (10 ** decade).toPrecision(1)} ms</text>`,
    );
  }
  for (const fraction of [0, 0.5, 0.95, 1])
    parts.push(`<text x="${left - 6}" y="${y(fraction) + 4}" text-anchor="end" ${FONT}>${fraction}</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#9ca3af"/>`);
  options.series.forEach((series, i) => {
    const sorted = [...series.values].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 400));
    const points: string[] = [];
    for (let k = 0; k < sorted.length; k += step)
      points.push(`${x(sorted[k]!).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`);
    if (sorted.length) points.push(`${x(sorted.at(-1)!).toFixed(1)},${y(1).toFixed(1)}`);
    const color = COLORS[i % COLORS.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`);
    parts.push(`<rect x="${left}" y="${top + height + 30 + i * 16}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${left + 18}" y="${top + height + 36 + i * 16}" ${FONT} fill="${color}">${escape(series.label)}</text>`);
  });
  return svg(left + width + 30, top + height + 44 + options.series.length * 16, options.title, parts);
}

function svg(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-family="system-ui, sans-serif" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** Writes bench/charts/<name>.svg; returns the path relative to bench/ for links in RESULTS.md. */
export function writeChart(name: string, content: string): string {
  const dir = join(import.meta.dir, "charts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.svg`), content);
  return `charts/${name}.svg`;
}
