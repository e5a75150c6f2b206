import { RagCacheError, toError } from "../errors.ts";
import type { CacheLayer, MaybePromise } from "../types.ts";

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

/** The promise's value, or `undefined` once it rejects or outlives `timeoutMs` (reported once). */
export function settle<T>(
  result: Promise<T>,
  timeoutMs: number,
  layer: string,
  operation: string,
  onError: LayerErrorHandler,
): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve) => {
    let timedOut = false;
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          onError(new RagCacheError("E_LAYER_TIMEOUT", `${operation} took longer than ${timeoutMs} ms`, { source: layer }));
          resolve(undefined);
        }, timeoutMs)
      : undefined;
    result.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        if (!timedOut) onError(toError(error));
        resolve(undefined);
      },
    );
  });
}
