import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeMachine, machine, versions } from "./machine.ts";

export const BENCH_DIR = join(import.meta.dir, "..");
export const RESULTS_DIR = join(BENCH_DIR, "results");

export interface Table {
  caption?: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface Goal {
  goal: string;
  met: boolean;
  /** The measured figure the verdict rests on. */
  measured: string;
  /** The known cause, printed in the closing note of RESULTS.md when the goal is missed. */
  whyMissed?: string;
}

export interface TopicReport {
  title: string;
  /** What was measured and how, in a few lines. */
  method: string[];
  tables: Table[];
  goals: Goal[];
  notes?: string[];
  /** SVG files in bench/, linked from the section. */
  charts?: { file: string; caption: string }[];
  /** Packages whose installed versions the section names. */
  packages: string[];
  extraVersions?: Record<string, string>;
  data: unknown;
}

export function markdownTable(table: Table): string {
  const lines = [`| ${table.columns.join(" | ")} |`, `|${table.columns.map(() => "---").join("|")}|`];
  for (const row of table.rows) lines.push(`| ${row.join(" | ")} |`);
  return (table.caption ? `**${table.caption}**\n\n` : "") + lines.join("\n");
}

/** Writes bench/results/<topic>.json and bench/results/<topic>.md, the section bench/run.ts assembles. */
export function writeTopic(topic: string, report: TopicReport): void {
  const host = machine();
  const installed = { ...versions(report.packages), ...report.extraVersions };
  const md = [
    `## ${report.title}`,
    "",
    `Machine: ${describeMachine(host)}. Date: ${host.date}.`,
    `Versions: ${Object.entries(installed)
      .map(([name, version]) => `${name} ${version}`)
      .join(", ")}.`,
    "",
    ...report.method,
    "",
    ...report.tables.flatMap((table) => [markdownTable(table), ""]),
    ...(report.charts ?? []).map((chart) => `![${chart.caption}](${chart.file})`),
    ...(report.charts?.length ? [""] : []),
    "**Goals**",
    "",
    ...report.goals.map((goal) => `- ${goal.met ? "met" : "MISSED"}: ${goal.goal} — measured ${goal.measured}`),
    ...(report.notes?.length ? ["", ...report.notes.map((note) => `- ${note}`)] : []),
    "",
  ].join("\n");
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${topic}.md`), md);
  writeFileSync(
    join(RESULTS_DIR, `${topic}.json`),
    JSON.stringify(
      { topic, title: report.title, machine: host, versions: installed, goals: report.goals, data: report.data },
      null,
      2,
    ),
  );
}
