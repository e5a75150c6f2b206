import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { RagCacheError } from "../../src/index.ts";

/** Lock files this process holds: a second layer on the same folder is refused like a second process. */
const held = new Set<string>();

/** A lock younger than this whose pid cannot be read yet is being written, not stale. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/**
 * Takes `path` (an exclusive create holding this pid), or throws E_CONFIG_INVALID naming the process
 * that holds it. A lock whose process is gone (killed, crashed; or one this pid left behind after a
 * restart in a container) is stale and taken over. Pids are only meaningful on one machine.
 */
export function lock(path: string, source: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (held.has(path)) throw inUse(path, process.pid, source);
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      held.add(path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw new RagCacheError("E_CONFIG_INVALID", `locking ${path} failed: ${(error as Error).message}`, {
          source,
          cause: error,
        });
    }
    const holder = readPid(path);
    if (holder === undefined ? ageMs(path) < UNREADABLE_LOCK_GRACE_MS : holder !== process.pid && alive(holder))
      throw inUse(path, holder, source);
    // Stale: moved aside before the next attempt creates a fresh one. Another process may have taken the
    // stale lock over meanwhile; then what was moved is its fresh lock, and it is put back.
    const stale = `${path}.stale-${crypto.randomUUID()}`;
    try {
      renameSync(path, stale);
      if (readPid(stale) !== holder) linkSync(stale, path);
      unlinkSync(stale);
    } catch {}
  }
  throw inUse(path, readPid(path), source);
}

function inUse(path: string, pid: number | undefined, source: string): RagCacheError {
  return new RagCacheError(
    "E_CONFIG_INVALID",
    `the journal folder is in use by ${pid === process.pid ? "another redis layer of this process" : `process ${pid ?? "(starting)"}`} (lock ${path}); give each process its own fallback folder`,
    { source },
  );
}

/** Releases a lock `lock` took. */
export function unlock(path: string): void {
  held.delete(path);
  if (readPid(path) === process.pid) unlinkSync(path);
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 checks that the process exists; EPERM means it does, under another user. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}
