import { z } from "zod";
import {
  createKey,
  keyOf,
  nextStamp,
  RESERVED_NAMESPACE,
  type CacheHandle,
  type CacheKey,
  type CacheLayer,
} from "../../src/index.ts";
import type { Counter } from "./heavy-hitters.ts";

const KEEP_MS = 30 * 86_400_000;

const savedSchema = z.object({
  version: z.literal(1),
  counters: z.array(
    z.object({
      id: z.string(),
      namespace: z.string(),
      text: z.string(),
      params: z.string(),
      count: z.number(),
      error: z.number(),
    }),
  ),
});

type Saved = z.infer<typeof savedSchema>;

/** Where the frequency table survives a restart: a file, the chain's first persistent layer, or nowhere. */
export interface FrequencyStore {
  readonly where: string;
  load(): Promise<Counter<CacheKey>[]>;
  save(counters: readonly Counter<CacheKey>[]): Promise<void>;
}

export function frequencyStore(cache: CacheHandle, source: string, stateFile?: string): FrequencyStore {
  if (stateFile) return fileStore(stateFile);
  const layer = cache.layers.find((candidate) => candidate.persistent);
  return layer ? layerStore(cache, layer, source) : { where: "none", load: async () => [], save: async () => {} };
}

function fileStore(path: string): FrequencyStore {
  return {
    where: `file:${path}`,
    async load() {
      const { readFile } = await import("node:fs/promises");
      const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      return text === undefined ? [] : decode(JSON.parse(text), path);
    },
    async save(counters) {
      const { rename, writeFile } = await import("node:fs/promises");
      const partial = `${path}.${process.pid}.tmp`;
      await writeFile(partial, JSON.stringify(encode(counters)));
      await rename(partial, path);
    },
  };
}

function layerStore(cache: CacheHandle, layer: CacheLayer, source: string): FrequencyStore {
  const key = createKey(`frequency table of ${source}`, { namespace: RESERVED_NAMESPACE });
  return {
    where: `layer:${layer.name}`,
    async load() {
      const entry = await layer.get(key);
      // Read from the layer directly, not through the chain: the digest check is this reader's own.
      return entry && entry.digest === key.digest ? decode(entry.value, layer.name) : [];
    },
    async save(counters) {
      const now = cache.now();
      await layer.set(key, {
        value: encode(counters),
        createdAt: now,
        expiresAt: now + KEEP_MS,
        stamp: nextStamp(),
        digest: key.digest,
      });
    },
  };
}

function encode(counters: readonly Counter<CacheKey>[]): Saved {
  return {
    version: 1,
    counters: counters.map(({ id, item, count, error }) => ({
      id,
      namespace: item.namespace,
      text: item.text,
      params: item.params,
      count,
      error,
    })),
  };
}

function decode(value: unknown, where: string): Counter<CacheKey>[] {
  const parsed = savedSchema.safeParse(value);
  if (!parsed.success) throw new Error(`the frequency table in ${where} is not one this version wrote; starting afresh`);
  return parsed.data.counters.map(({ namespace, text, params, count, error }) => {
    const item = keyOf(namespace, text, params);
    return { id: item.id, count, error, item };
  });
}
