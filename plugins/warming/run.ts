import { toError } from "../../src/index.ts";
import type { CacheHandle, Duration, KeyParams } from "../../src/index.ts";
import type { WarmLoader } from "./loaders.ts";

/** One query of a pass, learned from traffic or read from the warm list. */
export interface WarmItem {
  id: string;
  namespace: string;
  query: string;
  params?: KeyParams;
  priority: number;
  /** Estimated lookups (0 for a warm-list query never seen). */
  count: number;
}

/** One query a pass could not warm, with the loader's error message. */
export interface WarmFailure {
  namespace: string;
  query: string;
  error: string;
}

/** Where a pass stands; also the payload of the `warming` event. */
export interface WarmingProgress {
  /** "failed": the pass could not start (an unreadable warm list); `error` says why. */
  state: "started" | "progress" | "finished" | "cancelled" | "failed";
  /** What started the pass: "manual", "schedule", "low-hit-rate" or the caller's word. */
  trigger: string;
  /** Items processed, failed ones included. */
  done: number;
  total: number;
  failed: number;
  running: boolean;
  startedAt: number;
  finishedAt?: number;
  /** The first failures (at most 20), so a broken loader is visible without a log. */
  failures: WarmFailure[];
  error?: string;
}

export interface ResolvedLoader {
  load: WarmLoader;
  ttl?: Duration;
}

export interface PassOptions {
  cache: CacheHandle;
  source: string;
  /** The items in priority order, computed when the pass starts. */
  plan: () => Promise<readonly WarmItem[]>;
  concurrency: number;
  trigger: string;
  ttl?: Duration;
  loaderFor: (namespace: string) => ResolvedLoader | undefined;
  /** Cancels the pass as `cancel()` does. */
  signal?: AbortSignal;
  onProgress: (progress: WarmingProgress) => void;
}

const MAX_FAILURES_KEPT = 20;

/**
 * One warming pass: `concurrency` workers take the items in priority order, re-compute each with its
 * namespace's loader and write it through every layer (`getOrSet` with `refresh`, so a request for
 * the same key joins the load instead of running it twice). A failing item is counted and reported,
 * never fatal. Awaitable: resolves with the final progress, never rejects. Made by `warming().run()`.
 * @example
 * ```ts
 * const pass = w.run();
 * setTimeout(() => pass.cancel(), 60_000);
 * const { done, failed } = await pass;
 * ```
 */
export class WarmingRun implements PromiseLike<WarmingProgress> {
  #controller = new AbortController();
  #progress: WarmingProgress;
  #finished: Promise<WarmingProgress>;

  constructor(options: PassOptions) {
    const now = options.cache.now();
    this.#progress = {
      state: "started",
      trigger: options.trigger,
      done: 0,
      total: 0,
      failed: 0,
      running: true,
      startedAt: now,
      failures: [],
    };
    if (options.signal?.aborted) this.#controller.abort();
    options.signal?.addEventListener("abort", () => this.cancel(), { once: true });
    this.#finished = this.#execute(options);
  }

  get progress(): WarmingProgress {
    return { ...this.#progress, failures: [...this.#progress.failures] };
  }

  get cancelled(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Stop taking items; items in flight are abandoned (their loads finish in the background). */
  cancel(): void {
    this.#controller.abort();
  }

  then<A = WarmingProgress, B = never>(
    onFulfilled?: ((progress: WarmingProgress) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.#finished.then(onFulfilled, onRejected);
  }

  async #execute(options: PassOptions): Promise<WarmingProgress> {
    const signal = this.#controller.signal;
    let items: readonly WarmItem[];
    try {
      items = await options.plan();
    } catch (error) {
      Object.assign(this.#progress, {
        state: "failed",
        running: false,
        finishedAt: options.cache.now(),
        error: toError(error).message,
      });
      options.onProgress(this.progress);
      return this.progress;
    }
    this.#progress.total = items.length;
    options.onProgress(this.progress);
    let next = 0;
    const worker = async () => {
      while (next < items.length && !signal.aborted) {
        const item = items[next++]!;
        try {
          await untilAborted(this.#warm(options, item, signal), signal);
        } catch (error) {
          if (signal.aborted) return;
          this.#fail(options, item, toError(error));
        }
        this.#progress.done++;
        this.#progress.state = "progress";
        options.onProgress(this.progress);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, items.length) }, worker));
    Object.assign(this.#progress, {
      state: signal.aborted ? "cancelled" : "finished",
      running: false,
      finishedAt: options.cache.now(),
    });
    options.onProgress(this.progress);
    return this.progress;
  }

  async #warm(options: PassOptions, item: WarmItem, signal: AbortSignal): Promise<void> {
    const loader = options.loaderFor(item.namespace);
    if (!loader) throw new Error(`no loader for namespace "${item.namespace}"`);
    const context = { namespace: item.namespace, signal };
    await options.cache.getOrSet(item.query, () => loader.load(item.query, item.params, context), {
      namespace: item.namespace,
      params: item.params,
      refresh: true,
      ttl: loader.ttl ?? options.ttl,
    });
  }

  #fail(options: PassOptions, item: WarmItem, error: Error): void {
    this.#progress.failed++;
    if (this.#progress.failures.length < MAX_FAILURES_KEPT)
      this.#progress.failures.push({ namespace: item.namespace, query: item.query, error: error.message });
    options.cache.emit("error", { layer: options.source, operation: "warm", error });
  }
}

/** The promise, or a rejection as soon as the signal aborts (the work itself goes on unobserved). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
