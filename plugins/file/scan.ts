import { readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { keepUntil } from "../../src/index.ts";
import { decodeFile, fileMeta, type FileMeta } from "./format.ts";

/** Folders a clear() moved aside to remove; a leftover one (a crash mid-clear) is removed at load. */
export const TRASH_PREFIX = ".trash-";

/** The entry a file holds and its text, or undefined when it cannot be read or is no entry this layer wrote. */
export async function readEntryFile(path: string) {
  const text = await readFile(path, "utf8").catch(() => undefined);
  const decoded = text === undefined ? undefined : decodeFile(text);
  return decoded && { ...decoded, text: text! };
}

/** What a folder holds: its namespace folders, and its entry files with their index records, oldest write first. */
export interface Scan {
  folders: string[];
  files: { relative: string; meta: FileMeta }[];
}

/**
 * Reads the folder once, removing what it must not keep: leftover trash folders, expired and corrupt
 * entries, temporary files of writes a crash interrupted.
 */
export async function scanFolder(dir: string, now: () => number): Promise<Scan> {
  const folders: string[] = [];
  const found: { relative: string; createdAt: number; meta: FileMeta }[] = [];
  const subfolders = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const folder of subfolders.filter((d) => d.isDirectory())) {
    if (folder.name.startsWith(TRASH_PREFIX)) {
      await rm(join(dir, folder.name), { recursive: true, force: true }).catch(() => {});
      continue;
    }
    folders.push(folder.name);
    for (const entryName of await readdir(join(dir, folder.name)).catch(() => [] as string[])) {
      const relative = join(folder.name, entryName);
      const stored = entryName.endsWith(".json") ? await readEntryFile(join(dir, relative)) : undefined;
      if (!stored || keepUntil(stored.entry) <= now()) {
        await unlink(join(dir, relative)).catch(() => {});
        continue;
      }
      found.push({ relative, createdAt: stored.entry.createdAt, meta: fileMeta(stored.id, stored.text, stored.entry) });
    }
  }
  found.sort((a, b) => a.createdAt - b.createdAt);
  return { folders, files: found.map(({ relative, meta }) => ({ relative, meta })) };
}
