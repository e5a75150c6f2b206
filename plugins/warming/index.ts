import type { Cron } from "croner";
import { z } from "zod";
import { durationSchema, functionSchema, parseOptions, positiveDurationSchema } from "../../src/index.ts";
import { toError } from "../../src/index.ts";
import {
  createKey,
  DEFAULT_NAMESPACE,
  RagCacheError,
  toMs,
  type CacheHandle,
  type CacheKey,
  type CachePlugin,
  type KeyOptions,
} from "../../src/index.ts";
import { frequencyStore, type FrequencyStore } from "./frequency-store.ts";
import { SpaceSaving } from "./heavy-hitters.ts";
import { httpLoader, httpLoaderSchema, type HttpLoader, type WarmLoader } from "./loaders.ts";
import { WarmingRun, type ResolvedLoader, type WarmItem, type WarmingProgress } from "./run.ts";
import { schedulePattern, startSchedule } from "./schedule.ts";
import { readWarmList, warmQuerySchema, type WarmQuery } from "./warm-list.ts";

export { httpLoader, type HttpLoader, type WarmContext, type WarmLoader } from "./loaders.ts";
export { readWarmList, type WarmQuery } from "./warm-list.ts";
export { SpaceSaving, type Counter } from "./heavy-hitters.ts";
export { WarmingRun, type WarmFailure, type WarmItem, type WarmingProgress } from "./run.ts";

declare module "../../src/types.ts" {
  interface CacheEvents {
    /** A warming pass started, moved on or ended. */
    warming: WarmingProgress;
  }
}

/** The options that plain config can give; loaders there are HTTP loaders (`{ "url": … }`). */
export const configSchema = z.strictObject({
  /** Plugin name, also the `layer` of its error events. Default "warming". */
  name: z.string().min(1).default("warming"),
  /** Per namespace, what re-computes a query: a function, or (in config files) an HTTP loader `{ url }`. Default none. */
  loaders: z.record(z.string(), httpLoaderSchema).optional(),
  /** How many of the most frequent learned queries a pass warms, on top of the warm list. Default 100. Env `RAG_CACHE_WARMING_TOP_N`. */
  topN: z.number().int().positive().default(100),
  /** Cron pattern of the scheduled pass; `false` for none. Default "0 2 * * *" (02:00, a low-traffic hour). */
  schedule: z.union([z.string().min(1), z.literal(false)]).optional(),
  /** Shorthand for `schedule: "0 <hour> * * *"`; wins over `schedule`. Default none. Env `RAG_CACHE_WARMING_HOUR`. */
  hour: z.number().int().min(0).max(23).optional(),
  /** Time zone of the schedule (IANA name). Default the process's. */
  timezone: z.string().min(1).optional(),
  /** Queries always warmed: `warm_queries.json`'s path, or the list itself. Re-read at every pass. Default none. */
  warmList: z.union([z.string().min(1), z.array(warmQuerySchema)]).optional(),
  /** Loaders running at once during a pass. Default 4. */
  concurrency: z.number().int().positive().default(4),
  /** Start a pass on the metrics plugin's `low-hit-rate` event. Default true. */
  onLowHitRate: z.boolean().default(true),
  /** Least time between two passes started by `low-hit-rate`. Default "15m". */
  cooldown: durationSchema.default("15m"),
  /** Queries the frequency table tracks (its memory bound). Default max(1000, 10 × topN). */
  capacity: z.number().int().positive().optional(),
  /** Keep the frequency table in this JSON file. Default: in the chain's first persistent layer, if any. */
  stateFile: z.string().min(1).optional(),
  /** How often the frequency table is saved (also after each pass and on close). Default "5m". */
  persistEvery: positiveDurationSchema.default("5m"),
  /** After each scheduled pass, counts are multiplied by this, so yesterday's favourites fade. Default 0.5. */
  decay: z.number().min(0).max(1).default(0.5),
  /** TTL of warmed entries. Default: the chain's `defaultTtl`. */
  ttl: durationSchema.optional(),
});

/** Every option of `warming()`: the config's, with loaders that code may also give as functions. */
const optionsSchema = configSchema.extend({
  /** Per namespace, what re-computes a query: a function `(query, params, context) => value`, or an HTTP loader `{ url }`. Default none. */
  loaders: z.record(z.string(), z.union([functionSchema<WarmLoader>(), httpLoaderSchema])).optional(),
});

/**
 * What `warming()` takes: a loader per namespace, what a pass warms, when passes run, where the
 * frequency table is kept.
 * @example
 * ```ts
 * warming({ loaders: { retrieval: (query, params) => retrieve(query, params) }, topN: 200, hour: 3, warmList: "warm_queries.json" });
 * ```
 */
export type WarmingOptions = z.input<typeof optionsSchema>;

/** `RAG_CACHE_WARMING_TOP_N` and `RAG_CACHE_WARMING_HOUR` set `topN` and `hour` (besides `RAG_WARMING_<OPTION>`). */
export const envAliases = { RAG_CACHE_WARMING_TOP_N: "topN", RAG_CACHE_WARMING_HOUR: "hour" };

/** Options that are paths: a config file's relative ones resolve from its folder. */
export const pathOptions = ["warmList", "stateFile"];

/** What `status()` answers (and `GET /v1/warm` shows): the pass, the schedule, the frequency table. */
export interface WarmingStatus {
  running: boolean;
  /** The current pass, else the last one. */
  progress?: WarmingProgress;
  schedule?: string;
  topN: number;
  /** ISO time of the next scheduled pass. */
  nextRun?: string;
  /** Queries in the frequency table, and its bound. */
  tracked: number;
  capacity: number;
  /** Where the table survives a restart: "file:…", "layer:…" or "none". */
  persistence: string;
}

/**
 * The warming plugin: set it up on a chain, then run, cancel, inspect or plan passes by hand.
 * @example
 * ```ts
 * const progress = await w.run({ trigger: "deploy" }); // { done, total, failed, failures, … }
 * ```
 */
export interface WarmingPlugin extends CachePlugin {
  /** Start a pass now (or join the one running). Await it for the final progress. */
  run(options?: { signal?: AbortSignal; trigger?: string }): WarmingRun;
  /** Cancel the running pass, if any. */
  cancel(): void;
  status(): WarmingStatus;
  /** Count a lookup by hand (lookups through the chain are counted from its `sample` event). */
  record(query: string, options?: KeyOptions): void;
  /** What the next pass would warm, in order. */
  plan(): Promise<WarmItem[]>;
  /** Save the frequency table now. */
  save(): Promise<void>;
}

/**
 * Learns the most frequent queries in bounded memory and re-computes them in the background: on a
 * cron schedule, on a low hit rate (with a cooldown), or on demand.
 * @example
 * ```ts
 * const w = warming({ loaders: { retrieval: (query, params) => retrieve(query, params) }, topN: 100 });
 * const cache = createCache({ layers: [memory(), redis()], plugins: [metrics(), w] });
 * ```
 */
export function warming(warmingOptions: WarmingOptions = {}): WarmingPlugin {
  const options = parseOptions(optionsSchema, warmingOptions, "warming");
  const { name, topN, decay } = options;
  const pattern = schedulePattern(options.schedule, options.hour);
  const cooldownMs = toMs(options.cooldown, "cooldown");
  const persistMs = toMs(options.persistEvery, "persistEvery");
  const sketch = new SpaceSaving<CacheKey>(options.capacity ?? Math.max(1000, 10 * topN));
  const loaders = new Map<string, ResolvedLoader>(
    Object.entries(options.loaders ?? {}).map(([namespace, loader]) => [
      namespace,
      typeof loader === "function" ? { load: loader } : { load: httpLoader(loader), ttl: loader.ttl },
    ]),
  );
  let cache: CacheHandle | undefined;
  let store: FrequencyStore | undefined;
  let job: Cron | undefined;
  let current: WarmingRun | undefined;
  let lowHitRateRunAt = -Infinity;

  const attached = (): CacheHandle => {
    if (cache) return cache;
    throw new RagCacheError("E_CONFIG_INVALID", "the plugin is not set up: pass it to createCache({ plugins: [...] })", {
      source: name,
    });
  };
  const reportError = (operation: string, error: unknown) =>
    cache?.emit("error", { layer: name, operation, error: toError(error) });
  const learn = (key: CacheKey) => {
    if (key.text && loaders.has(key.namespace)) sketch.add(key.id, key);
  };

  async function plan(): Promise<WarmItem[]> {
    const items = new Map<string, WarmItem>();
    for (const listed of options.warmList ? await readWarmList(options.warmList) : []) {
      const namespace = listed.namespace ?? DEFAULT_NAMESPACE;
      const { id } = createKey(listed.query, { namespace, params: listed.params });
      items.set(id, { id, namespace, query: listed.query, params: listed.params, priority: listed.priority ?? 0, count: 0 });
    }
    const learned = sketch.top(sketch.size).filter((counter) => loaders.has(counter.item.namespace));
    for (const { id, item, count } of learned.slice(0, topN)) {
      const known = items.get(id);
      if (known) known.count = count;
      else
        items.set(id, {
          id,
          namespace: item.namespace,
          query: item.text,
          params: item.params ? JSON.parse(item.params) : undefined,
          priority: 0,
          count,
        });
    }
    return [...items.values()].sort((a, b) => b.priority - a.priority || b.count - a.count);
  }

  function cancel(): void {
    current?.cancel();
  }

  function status(): WarmingStatus {
    return {
      running: current?.progress.running ?? false,
      progress: current?.progress,
      schedule: pattern,
      topN,
      nextRun: job?.nextRun()?.toISOString(),
      tracked: sketch.size,
      capacity: sketch.capacity,
      persistence: store?.where ?? "none",
    };
  }

  async function save(): Promise<void> {
    try {
      await store?.save(sketch.counters());
    } catch (error) {
      reportError("save frequency table", error);
    }
  }

  function run({ signal, trigger = "manual" }: { signal?: AbortSignal; trigger?: string } = {}): WarmingRun {
    const chain = attached();
    if (current?.progress.running) return current;
    const pass = new WarmingRun({
      cache: chain,
      source: name,
      plan,
      concurrency: options.concurrency,
      trigger,
      ttl: options.ttl,
      loaderFor: (namespace) => loaders.get(namespace),
      signal,
      onProgress: (progress) => chain.emit("warming", progress),
    });
    current = pass;
    chain.track(
      Promise.resolve(pass).then(async (progress) => {
        if (progress.state === "failed") reportError("plan", new Error(progress.error));
        if (progress.state === "finished" && trigger === "schedule") sketch.decay(decay);
        await save();
      }),
    );
    return pass;
  }

  return {
    name,
    async setup(chain) {
      cache = chain;
      if (options.warmList) await plan();
      store = frequencyStore(chain, name, options.stateFile);
      try {
        sketch.restore(await store.load());
      } catch (error) {
        reportError("load frequency table", error);
      }
      const unsubscribe = [chain.on("sample", ({ key }) => learn(key))];
      if (options.onLowHitRate) {
        unsubscribe.push(
          chain.on("low-hit-rate", () => {
            if (chain.now() - lowHitRateRunAt < cooldownMs || current?.progress.running) return;
            lowHitRateRunAt = chain.now();
            run({ trigger: "low-hit-rate" });
          }),
        );
      }
      if (pattern) job = startSchedule(pattern, options.timezone, () => void run({ trigger: "schedule" }));
      const timer = setInterval(() => chain.track(save()), persistMs) as unknown as { unref?: () => void };
      timer.unref?.();
      return async () => {
        job?.stop();
        clearInterval(timer as unknown as number);
        unsubscribe.forEach((off) => off());
        current?.cancel();
        await current;
        await save();
      };
    },
    run,
    cancel,
    status,
    capabilities: {
      stats: status,
      job: { route: "warm", start: (trigger) => void run({ trigger }), cancel, status: () => ({ ...status() }) },
    },
    record: (query, keyOptions = {}) => learn(attached().key(query, keyOptions)),
    plan,
    save,
  };
}
