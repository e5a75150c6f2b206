import { RagCacheError, toError } from "../errors.ts";
import type { CacheLayer, MaybePromise } from "../types.ts";
import { Deadlines } from "./deadlines.ts";

export type LayerErrorHandler = (error: Error) => void;

/**
 * Calls one layer operation so that it can never hurt the caller: a throw or a rejection becomes
 * `undefined` plus `onError`, and a promise slower than `timeoutMs` is abandoned the same way.
 * A synchronous answer is returned as is, without a promise.
 */
export function callLayer<T>(
  layer: CacheLayer,
  operation: string,
  run: () => MaybePromise<T>,
  timeoutMs: number,
  onError: LayerErrorHandler,
): MaybePromise<T | undefined> {
  let result: MaybePromise<T>;
  try {
    result = run();
  } catch (error) {
    onError(toError(error));
    return undefined;
  }
  return result instanceof Promise ? settle(result, timeoutMs, layer.name, operation, onError) : result;
}

/** One deadline queue per timeout length (a chain has a few: its default and the layers' own). */
const deadlines = new Map<number, Deadlines>();

/** The promise's value, or `undefined` once it rejects or outlives `timeoutMs` (reported once). */
export function settle<T>(
  result: Promise<T>,
  timeoutMs: number,
  layer: string,
  operation: string,
  onError: LayerErrorHandler,
): Promise<T | undefined> {
  if (!Number.isFinite(timeoutMs))
    return result.then(undefined, (error: unknown) => {
      onError(toError(error));
      return undefined;
    });
  let queue = deadlines.get(timeoutMs);
  if (!queue) deadlines.set(timeoutMs, (queue = new Deadlines(timeoutMs)));
  const waitingIn = queue;
  return new Promise<T | undefined>((resolve) => {
    const waiting = waitingIn.add(() => {
      onError(new RagCacheError("E_LAYER_TIMEOUT", `${operation} took longer than ${timeoutMs} ms`, { source: layer }));
      resolve(undefined);
    });
    result.then(
      (value) => {
        if (waiting.done) return;
        waiting.done = true;
        resolve(value);
      },
      (error) => {
        if (waiting.done) return;
        waiting.done = true;
        onError(toError(error));
        resolve(undefined);
      },
    );
  });
}
