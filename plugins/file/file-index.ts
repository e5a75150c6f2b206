import type { FileMeta } from "./format.ts";

/**
 * The in-memory view of the folder: each file's size, keep-until and tags, in write order (a Map
 * keeps insertion order, and a rewrite moves a file to the end), plus a tag → files index. It is
 * what makes tag invalidation and the size bound cheap without listing the folder each time.
 */
export class FileIndex {
  #files = new Map<string, FileMeta>();
  #byTag = new Map<string, Set<string>>();
  #bytes = 0;

  get size(): number {
    return this.#files.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(file: string, meta: FileMeta): void {
    this.remove(file);
    this.#files.set(file, meta);
    this.#bytes += meta.bytes;
    for (const tag of meta.tags) {
      let files = this.#byTag.get(tag);
      if (!files) this.#byTag.set(tag, (files = new Set()));
      files.add(file);
    }
  }

  remove(file: string): FileMeta | undefined {
    const meta = this.#files.get(file);
    if (!meta) return undefined;
    this.#files.delete(file);
    this.#bytes -= meta.bytes;
    for (const tag of meta.tags) {
      const files = this.#byTag.get(tag);
      files?.delete(file);
      if (files?.size === 0) this.#byTag.delete(tag);
    }
    return meta;
  }

  tagged(tags: readonly string[]): string[] {
    const files = new Set<string>();
    for (const tag of tags) for (const file of this.#byTag.get(tag) ?? []) files.add(file);
    return [...files];
  }

  under(folder: string): string[] {
    return [...this.#files.keys()].filter((file) => file.startsWith(folder));
  }

  /** Files to remove to get back within the bounds: expired ones first, then the oldest writes. */
  victims(
    maxEntries: number,
    maxBytes: number,
    now: number,
  ): { file: string; id: string; reason: "expired" | "capacity" | "size" }[] {
    if (this.#files.size <= maxEntries && this.#bytes <= maxBytes) return [];
    const chosen: { file: string; id: string; reason: "expired" | "capacity" | "size" }[] = [];
    let count = this.#files.size;
    let bytes = this.#bytes;
    const take = (file: string, meta: FileMeta, reason: "expired" | "capacity" | "size") => {
      chosen.push({ file, id: meta.id, reason });
      count--;
      bytes -= meta.bytes;
    };
    for (const [file, meta] of this.#files) if (meta.keepUntil <= now) take(file, meta, "expired");
    const expired = new Set(chosen.map((victim) => victim.file));
    for (const [file, meta] of this.#files) {
      if (count <= maxEntries && bytes <= maxBytes) break;
      if (!expired.has(file)) take(file, meta, count > maxEntries ? "capacity" : "size");
    }
    return chosen;
  }
}
