import type { Cron as CronJob } from "croner";
import { importPeer, RagCacheError } from "../../src/index.ts";

/** croner is an optional peer: a missing install is a clear error when the warming plugin is imported. */
const { Cron } = await importPeer("croner", "ragcache/warming", () => import("croner"));

export const DEFAULT_SCHEDULE = "0 2 * * *";

/** The cron pattern to use: `hour` (0-23, checked by the options schema) wins as `0 H * * *`; `false` means no schedule. */
export function schedulePattern(schedule: string | false | undefined, hour: number | undefined): string | undefined {
  if (hour !== undefined) return `0 ${hour} * * *`;
  if (schedule === false) return undefined;
  const pattern = schedule ?? DEFAULT_SCHEDULE;
  try {
    new Cron(pattern, { paused: true }).stop();
  } catch (error) {
    throw scheduleError(`schedule "${pattern}" is not a cron pattern: ${(error as Error).message}`);
  }
  return pattern;
}

/** A croner job that does not keep the process alive; its callback's failures are the caller's to report. */
export function startSchedule(pattern: string, timezone: string | undefined, run: () => void): CronJob {
  return new Cron(pattern, { timezone, unref: true, protect: true }, run);
}

function scheduleError(message: string): RagCacheError {
  return new RagCacheError("E_CONFIG_INVALID", message, { source: "warming" });
}
