import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import {
  sha256Hex,
  isNewer,
  keepUntil,
  parseOptions,
  RagCacheError,
  type CacheEntry,
  type CacheKey,
  type CacheLayer,
  type EvictReason,
  type LayerContext,
  type LayerHealth,
  type LayerHit,
  type LayerSetOptions,
} from "../../src/index.ts";
import { FileIndex } from "./file-index.ts";
import { decodeFile, encodeFile } from "./format.ts";
import { SerialWrites } from "./serial-writes.ts";

/** Folders a clear() moved aside to remove; a leftover one (a crash mid-clear) is removed at load. */
const TRASH_PREFIX = ".trash-";

/**
 * Options of `file()`, from code or as plain config (`{ "use": "file", "dir": ".cache" }`): the one
 * source of their types, defaults and validation.
 */
export const configSchema = z.strictObject({
  /** Layer name in events, stats and X-Cache-Layer. Default "file". */
  name: z.string().min(1).default("file"),
  /** The folder entries live in, created when missing; relative paths resolve from the working directory (in a config file, from its folder). Default ".cache/ragcache". */
  dir: z.string().min(1).default(".cache/ragcache"),
  /** Most entries kept; past it expired entries go first, then the oldest writes. Default 100 000. */
  maxEntries: z.number().int().positive().default(100_000),
  /** Most bytes of entry files kept, same cleanup order. Default 256 MiB. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  /** Budget of one layer call in the chain, in ms. Default: the chain's `layerTimeout`. */
  timeout: z.number().positive().optional(),
});

/**
 * What `file()` takes: the folder and its bounds.
 * @example
 * ```ts
 * file({ dir: ".cache/ragcache", maxBytes: 1024 * 1024 * 1024 });
 * ```
 */
export type FileOptions = z.input<typeof configSchema>;

/** Options that are paths: a config file's relative ones resolve from its folder. */
export const pathOptions = ["dir"];

/** The file layer: a `CacheLayer` that also tells its folder and how much it holds. */
export type FileLayer = CacheLayer & { readonly dir: string; stats(): { dir: string; entries: number; bytes: number } };

/**
 * A folder of JSON files, one per entry: Redis's fallback, or a persistent layer on its own. File
 * names are hashes of the namespace (a sub-folder, so clearing one is one `rm`) and of the key id,
 * so no key can reach outside the folder. Writes go to a temporary file renamed into place, so a
 * reader never sees half an entry; a file that does not parse anyway (truncated by a crash, edited)
 * is a miss and is removed. Tags and sizes are indexed in memory, rebuilt by reading the folder once
 * on first use: one process per folder.
 * @example
 * ```ts
 * createCache({ layers: [memory(), file({ dir: ".cache" })] });
 * redis({ url, fallback: file({ dir: ".cache/redis-fallback" }) });
 * ```
 */
export function file(options: FileOptions = {}): FileLayer {
  const settings = parseOptions(configSchema, options, "file");
  const { name, maxEntries, maxBytes } = settings;
  const dir = resolve(settings.dir);
  const index = new FileIndex();
  const writes = new SerialWrites();
  const folders = new Set<string>();
  let context: LayerContext | undefined;
  let loaded: Promise<void> | undefined;
  let cleaning: Promise<void> | undefined;
  /** Why the last write failed, and since when; cleared by the next write that succeeds. */
  let writeFailure: { reason: string; since: number } | undefined;
  const now = () => context?.now() ?? Date.now();
  const folderOf = (namespace: string) => sha256Hex(namespace).slice(0, 16);
  const fileOf = (key: CacheKey) => join(folderOf(key.namespace), `${sha256Hex(key.id).slice(0, 32)}.json`);

  const failed = (operation: string, error: unknown) =>
    new RagCacheError("E_LAYER_FAILED", `${operation} in ${dir} failed: ${(error as Error).message}`, {
      source: name,
      cause: error,
    });

  function evicted(id: string, reason: EvictReason): void {
    context?.emit("evict", { layer: name, id, reason });
  }

  async function drop(relative: string): Promise<void> {
    index.remove(relative);
    await unlink(join(dir, relative)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw failed("remove", error);
    });
  }

  /** Reads the folder once: indexes good entries, removes expired, corrupt and leftover temporary files. */
  function load(): Promise<void> {
    return (loaded ??= (async () => {
      const found: { relative: string; createdAt: number; meta: Parameters<FileIndex["add"]>[1] }[] = [];
      const subfolders = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const folder of subfolders.filter((d) => d.isDirectory())) {
        if (folder.name.startsWith(TRASH_PREFIX)) {
          await rm(join(dir, folder.name), { recursive: true, force: true }).catch(() => {});
          continue;
        }
        folders.add(folder.name);
        for (const entryName of await readdir(join(dir, folder.name)).catch(() => [] as string[])) {
          const relative = join(folder.name, entryName);
          const text = entryName.endsWith(".json")
            ? await readFile(join(dir, relative), "utf8").catch(() => undefined)
            : undefined;
          const decoded = text === undefined ? undefined : decodeFile(text);
          if (!decoded || keepUntil(decoded.entry) <= now()) {
            await unlink(join(dir, relative)).catch(() => {});
            continue;
          }
          const { id, entry } = decoded;
          found.push({
            relative,
            createdAt: entry.createdAt,
            meta: { id, bytes: Buffer.byteLength(text!), keepUntil: keepUntil(entry), tags: entry.tags ?? [] },
          });
        }
      }
      for (const { relative, meta } of found.sort((a, b) => a.createdAt - b.createdAt)) index.add(relative, meta);
    })());
  }

  /** Back within maxEntries/maxBytes: one cleanup at a time, run after the write that crossed a bound. */
  async function cleanUp(): Promise<void> {
    while (cleaning) await cleaning;
    cleaning = (async () => {
      for (const victim of index.victims(maxEntries, maxBytes, now())) {
        await drop(victim.file);
        evicted(victim.id, victim.reason);
      }
    })().finally(() => (cleaning = undefined));
    await cleaning;
  }

  async function read(key: CacheKey): Promise<LayerHit | undefined> {
    const relative = fileOf(key);
    let text: string;
    try {
      text = await readFile(join(dir, relative), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw failed("read", error);
    }
    const decoded = decodeFile(text);
    if (!decoded) {
      await drop(relative);
      context?.emit("error", {
        layer: name,
        operation: "get",
        key,
        error: new RagCacheError("E_LAYER_FAILED", `${relative} was corrupt or truncated; removed, served as a miss`, {
          source: name,
        }),
      });
      return undefined;
    }
    if (decoded.id !== key.id) return undefined;
    if (keepUntil(decoded.entry) <= now()) {
      await drop(relative);
      evicted(key.id, "expired");
      return undefined;
    }
    return decoded.entry;
  }

  /** The entry in the key's file now, when it was written for this key: what a back-fill compares with. */
  async function current(relative: string, key: CacheKey): Promise<CacheEntry | undefined> {
    const text = await readFile(join(dir, relative), "utf8").catch(() => undefined);
    const decoded = text === undefined ? undefined : decodeFile(text);
    return decoded?.id === key.id ? decoded.entry : undefined;
  }

  async function write(key: CacheKey, entry: CacheEntry, options?: LayerSetOptions): Promise<void> {
    const until = keepUntil(entry);
    if (until <= now()) return options?.ifNewer ? undefined : remove(key);
    await load();
    const relative = fileOf(key);
    // One write of a file at a time, so that a back-fill's compare and its rename see no write in between.
    return writes.serial(relative, () => place(key, entry, relative, until, options?.ifNewer === true));
  }

  async function place(key: CacheKey, entry: CacheEntry, relative: string, until: number, ifNewer: boolean): Promise<void> {
    if (ifNewer) {
      const stored = await current(relative, key);
      if (stored && stored.digest === entry.digest && !isNewer(entry, stored)) return;
    }
    const folder = folderOf(key.namespace);
    const text = encodeFile(key.id, entry);
    const temporary = join(dir, `${relative}.${crypto.randomUUID()}.tmp`);
    const attempt = async () => {
      if (!folders.has(folder)) await mkdir(join(dir, folder), { recursive: true });
      folders.add(folder);
      await writeFile(temporary, text);
      await rename(temporary, join(dir, relative));
    };
    try {
      // A clear() running at the same time may remove the folder between mkdir and the write: once more.
      await attempt().catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
        folders.delete(folder);
        return attempt();
      });
    } catch (error) {
      await unlink(temporary).catch(() => {});
      folders.delete(folder);
      writesFailing(error);
      throw failed("write", error);
    }
    writesWork();
    index.add(relative, { id: key.id, bytes: Buffer.byteLength(text), keepUntil: until, tags: entry.tags ?? [] });
    if (index.size > maxEntries || index.bytes > maxBytes) await cleanUp();
  }

  function writesFailing(error: unknown): void {
    if (writeFailure) return;
    writeFailure = { reason: (error as Error).message, since: Date.now() };
    context?.emit("degraded", { layer: name, reason: `writes to ${dir} fail: ${writeFailure.reason}` });
  }

  function writesWork(): void {
    if (!writeFailure) return;
    const downMs = Date.now() - writeFailure.since;
    writeFailure = undefined;
    context?.emit("recovered", { layer: name, downMs });
  }

  async function remove(key: CacheKey): Promise<void> {
    await load();
    await drop(fileOf(key));
  }

  async function clear(namespace?: string): Promise<void> {
    await load();
    const present = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const targets = namespace === undefined ? present.filter((d) => d.isDirectory()).map((d) => d.name) : [folderOf(namespace)];
    for (const folder of targets) {
      for (const relative of index.under(`${folder}/`)) index.remove(relative);
      folders.delete(folder);
      // Moved aside first (atomic), then removed: a write racing the clear either landed before the
      // move and is cleared, or finds the folder gone and writes into a new one that rm never sees.
      const trash = join(dir, `${TRASH_PREFIX}${folder}.${crypto.randomUUID()}`);
      await rename(join(dir, folder), trash).then(
        () => rm(trash, { recursive: true, force: true }),
        (error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw failed("clear", error);
        },
      );
    }
  }

  async function invalidateTags(tags: readonly string[]): Promise<void> {
    await load();
    for (const relative of index.tagged(tags)) await drop(relative);
  }

  /** Up while writes work; degraded while they fail (disk full, no permission) but the folder reads; else down. */
  async function health(): Promise<LayerHealth> {
    const probe = join(dir, `.health.${crypto.randomUUID()}.tmp`);
    const sizes = { entries: index.size, bytes: index.bytes };
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(probe, "ok");
      await unlink(probe);
    } catch (error) {
      const detail = `${dir} is not writable: ${(error as Error).message}`;
      const readable = await readdir(dir).then(
        () => true,
        () => false,
      );
      return readable ? { state: "degraded", detail, ...sizes } : { state: "down", detail };
    }
    if (writeFailure) return { state: "degraded", detail: `writes fail: ${writeFailure.reason}`, ...sizes };
    return { state: "up", ...sizes };
  }

  return {
    name,
    dir,
    persistent: true,
    timeout: settings.timeout,
    attach(layerContext) {
      context = layerContext;
    },
    get: read,
    set: write,
    delete: remove,
    clear,
    invalidateTags,
    health,
    stats: () => ({ dir, entries: index.size, bytes: index.bytes }),
    async close() {
      await loaded;
      while (cleaning) await cleaning;
    },
  };
}
