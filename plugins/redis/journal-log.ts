import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { open, readFile, rename, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { RagCacheError } from "../../src/index.ts";
import { JOURNAL_HEADER } from "./journal.ts";

/** When a journal append reaches the disk: before the write is acknowledged, or when the OS gets to it. */
export type JournalSync = "always" | "never";

/** Where the journal's lines live: a file beside the fallback's entries, or memory. */
export interface JournalLog {
  /** Lines written since the last reset (the header not counted). */
  readonly size: number;
  /** Their bytes (UTF-16 code units, close enough for a bound), newlines included. */
  readonly bytes: number;
  /** Appends lines; resolves once they are written (and on disk, with `journalSync: "always"`). */
  append(lines: readonly string[]): Promise<void>;
  /** Every line, oldest first. */
  read(): Promise<string[]>;
  /** Replaces the whole journal with these lines, atomically. */
  replace(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** The journal of a process without a journal folder: it ends with the process. */
export function memoryLog(): JournalLog {
  let lines: string[] = [];
  let bytes = 0;
  return {
    get size() {
      return lines.length;
    },
    get bytes() {
      return bytes;
    },
    append: async (more) => {
      lines.push(...more);
      bytes += lengthOf(more);
    },
    read: async () => [...lines],
    replace: async (only) => {
      lines = [...only];
      bytes = lengthOf(only);
    },
    close: async () => {},
  };
}

/** Lock files this process holds: a second layer on the same folder is refused like a second process. */
const held = new Set<string>();

/** A lock younger than this whose pid cannot be read yet is being written, not stale. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/**
 * The journal in `<dir>/redis-journal.log`, guarded by `<dir>/redis-journal.lock` (holding the pid):
 * one process per folder. A second one is refused with E_CONFIG_INVALID; a lock whose process is gone
 * (killed, crashed) is taken over, together with its journal. Appends are grouped: lines that arrive
 * while a write is under way go out together in the next write (and the next fsync).
 */
export function fileLog(dir: string, sync: JournalSync, source: string): JournalLog {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new RagCacheError("E_CONFIG_INVALID", `the journal folder ${dir} cannot be created: ${(error as Error).message}`, {
      source,
      cause: error,
    });
  }
  const path = join(dir, "redis-journal.log");
  const lockPath = join(dir, "redis-journal.lock");
  lock(lockPath, source);
  const existing = linesIn(path);
  let size = existing.length;
  let bytes = lengthOf(existing);
  let handle: FileHandle | undefined;
  let queued: { lines: readonly string[]; done: () => void; failed: (error: unknown) => void }[] = [];
  let flushing: Promise<void> | undefined;

  async function flush(): Promise<void> {
    while (queued.length) {
      const batch = queued;
      queued = [];
      try {
        if (!handle) {
          handle = await open(path, "a+");
          const start = await startOf(handle);
          if (start) await handle.write(start);
          if (sync === "always") syncFolder(dir);
        }
        await handle.write(batch.map((item) => `${item.lines.join("\n")}\n`).join(""));
        if (sync === "always") await handle.datasync();
        for (const item of batch) item.done();
      } catch (error) {
        for (const item of batch) item.failed(failure(source, `journal write in ${dir}`, error));
      }
    }
  }

  async function closeHandle(): Promise<void> {
    while (flushing) await flushing;
    await handle?.close();
    handle = undefined;
  }

  return {
    get size() {
      return size;
    },
    get bytes() {
      return bytes;
    },
    append(lines) {
      size += lines.length;
      bytes += lengthOf(lines);
      const written = new Promise<void>((done, failed) => queued.push({ lines, done, failed }));
      flushing ??= flush().finally(() => (flushing = undefined));
      return written;
    },
    async read() {
      while (flushing) await flushing;
      const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "";
        throw failure(source, `journal read in ${dir}`, error);
      });
      return text.split("\n").filter((line) => line !== "" && line !== JOURNAL_HEADER);
    },
    async replace(lines) {
      await closeHandle();
      if (!lines.length) {
        await unlink(path).catch(() => {});
      } else {
        const temporary = `${path}.${crypto.randomUUID()}.tmp`;
        await writeFile(temporary, `${JOURNAL_HEADER}\n${lines.map((line) => `${line}\n`).join("")}`);
        if (sync === "always") fsyncFile(temporary);
        await rename(temporary, path);
      }
      if (sync === "always") syncFolder(dir);
      size = lines.length;
      bytes = lengthOf(lines);
    },
    async close() {
      await closeHandle();
      held.delete(lockPath);
      if (readPid(lockPath) === process.pid) unlinkSync(lockPath);
    },
  };
}

/**
 * What goes before the first append to a file: the header when it is new, a newline when a crash
 * tore its last line (else the next line would be glued to it and lost with it).
 */
async function startOf(handle: FileHandle): Promise<string> {
  const { size } = await handle.stat();
  if (size === 0) return `${JOURNAL_HEADER}\n`;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === 0x0a ? "" : "\n";
}

function lock(path: string, source: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (held.has(path)) throw inUse(path, process.pid, source);
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      held.add(path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw failure(source, `locking ${path}`, error);
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

function failure(source: string, what: string, error: unknown): RagCacheError {
  return new RagCacheError("E_LAYER_FAILED", `${what} failed: ${(error as Error).message}`, { source, cause: error });
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

function linesIn(path: string): string[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line !== "" && line !== JOURNAL_HEADER);
  } catch {
    return [];
  }
}

function lengthOf(lines: readonly string[]): number {
  let length = 0;
  for (const line of lines) length += line.length + 1;
  return length;
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A created, renamed or removed file is durable once its folder is synced too. */
function syncFolder(dir: string): void {
  fsyncFile(dir);
}
