import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { open, readFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { RagCacheError } from "../../src/index.ts";
import { JOURNAL_HEADER } from "./journal.ts";
import { lock, unlock } from "./journal-lock.ts";

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
  /** Removes the oldest `count` lines, keeping any appended since they were read. */
  dropFirst(count: number): Promise<void>;
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
    dropFirst: async (count) => {
      bytes -= lengthOf(lines.splice(0, count));
    },
    close: async () => {},
  };
}

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

  /** Lines queued after the last batch was taken but before the flush ended get a flush of their own. */
  function startFlush(): void {
    flushing = flush().finally(() => {
      flushing = undefined;
      if (queued.length) startFlush();
    });
  }

  /**
   * The whole journal replaced, synchronously once no append is being written: an append arriving
   * meanwhile can neither land in the file being replaced nor be overwritten by it.
   */
  function rewrite(lines: readonly string[]): void {
    const previous = handle;
    handle = undefined;
    previous?.close().catch(() => {});
    try {
      if (!lines.length) {
        rmSync(path, { force: true });
      } else {
        const temporary = `${path}.${crypto.randomUUID()}.tmp`;
        writeFileSync(temporary, `${JOURNAL_HEADER}\n${lines.map((line) => `${line}\n`).join("")}`);
        if (sync === "always") fsyncFile(temporary);
        renameSync(temporary, path);
      }
      if (sync === "always") syncFolder(dir);
    } catch (error) {
      throw failure(source, `journal rewrite in ${dir}`, error);
    }
    size = lines.length;
    bytes = lengthOf(lines);
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
      if (!flushing) startFlush();
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
      while (flushing) await flushing;
      rewrite(lines);
    },
    async dropFirst(count) {
      while (flushing) await flushing;
      rewrite(count >= size ? [] : linesIn(path).slice(count));
    },
    async close() {
      await closeHandle();
      unlock(lockPath);
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

function failure(source: string, what: string, error: unknown): RagCacheError {
  return new RagCacheError("E_LAYER_FAILED", `${what} failed: ${(error as Error).message}`, { source, cause: error });
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
