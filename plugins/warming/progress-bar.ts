import type { WarmingProgress } from "./run.ts";

const WIDTH = 30;

/** `[##########----------]  12/40  30%  failed 1` */
export function progressBar(progress: WarmingProgress): string {
  const fraction = progress.total ? progress.done / progress.total : 1;
  const filled = Math.round(fraction * WIDTH);
  const failed = progress.failed ? `  failed ${progress.failed}` : "";
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${String(progress.done).padStart(String(progress.total).length)}/${progress.total} ${Math.floor(
    fraction * 100,
  )
    .toString()
    .padStart(3)}%${failed}`;
}

/**
 * Shows progress on a terminal as one bar redrawn in place; elsewhere (CI, a pipe) as plain lines,
 * one per tenth of the pass, so logs stay short.
 */
export function progressReporter(stream: { isTTY?: boolean; write(text: string): unknown }): (progress: WarmingProgress) => void {
  let lastTenth = -1;
  let lastLine = "";
  return (progress) => {
    const line = progressBar(progress);
    if (stream.isTTY) return void stream.write(`\r${line}${progress.running ? "" : "\n"}`);
    const tenth = progress.total ? Math.floor((progress.done / progress.total) * 10) : 10;
    if (line === lastLine || (tenth === lastTenth && progress.running)) return;
    lastTenth = tenth;
    lastLine = line;
    stream.write(`${line}\n`);
  };
}
