import { RagCacheError, toError } from "../errors.ts";
import type { CacheKey, CacheLayer, MaybePromise } from "../types.ts";
import { Deadlines, type Waiting } from "./deadlines.ts";

/** Hears a layer call that threw, rejected or timed out; `key` is the key it concerned, when one. */
export type LayerErrorHandler = (layer: CacheLayer, operation: string, error: Error, key?: CacheKey) => void;

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
    onError(layer, operation, toError(error));
    return undefined;
  }
  return result instanceof Promise ? settle(result, timeoutMs, layer, operation, onError) : result;
}

/** One deadline queue per timeout length (a chain has a few: its default and the layers' own). */
const deadlines = new Map<number, Deadlines>();

/**
 * One settling call: its deadline's record and the resolver of the promise `settle` answers. The
 * record is the class itself and `expire` a method, so a call allocates no closure for either.
 */
class LayerCall<T> implements Waiting {
  at = 0;
  done = false;
  readonly #resolve: (value: T | undefined) => void;
  readonly #timeoutMs: number;
  readonly #layer: CacheLayer;
  readonly #operation: string;
  readonly #onError: LayerErrorHandler;
  readonly #key: CacheKey | undefined;

  constructor(
    resolve: (value: T | undefined) => void,
    timeoutMs: number,
    layer: CacheLayer,
    operation: string,
    onError: LayerErrorHandler,
    key: CacheKey | undefined,
  ) {
    this.#resolve = resolve;
    this.#timeoutMs = timeoutMs;
    this.#layer = layer;
    this.#operation = operation;
    this.#onError = onError;
    this.#key = key;
  }

  expire(): void {
    this.#report(
      new RagCacheError("E_LAYER_TIMEOUT", `${this.#operation} took longer than ${this.#timeoutMs} ms`, {
        source: this.#layer.name,
      }),
    );
    this.#resolve(undefined);
  }

  fulfil(value: T): void {
    if (this.done) return;
    this.done = true;
    this.#resolve(value);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.#report(toError(error));
    this.#resolve(undefined);
  }

  #report(error: Error): void {
    this.#onError(this.#layer, this.#operation, error, this.#key);
  }
}

/** The resolver the last `new Promise(captureResolve)` was given: one executor for every settle, no closure per call. */
let captured: ((value: never) => void) | undefined;
function captureResolve(resolve: (value: never) => void): void {
  captured = resolve;
}

/**
 * The promise's value, or `undefined` once it rejects or outlives `timeoutMs` (reported once, with
 * the layer, the operation and `key`: the handler needs no closure per call).
 */
export function settle<T>(
  result: Promise<T>,
  timeoutMs: number,
  layer: CacheLayer,
  operation: string,
  onError: LayerErrorHandler,
  key?: CacheKey,
): Promise<T | undefined> {
  if (!Number.isFinite(timeoutMs)) return unbounded(result, layer, operation, onError, key);
  let queue = deadlines.get(timeoutMs);
  if (!queue) deadlines.set(timeoutMs, (queue = new Deadlines(timeoutMs)));
  const settled = new Promise<T | undefined>(captureResolve);
  const resolve = captured as (value: T | undefined) => void;
  // Not kept past this call: it holds the promise, and with it the value it resolves to.
  captured = undefined;
  const call = new LayerCall<T>(resolve, timeoutMs, layer, operation, onError, key);
  queue.add(call);
  try {
    result.then(
      (value) => call.fulfil(value),
      (error: unknown) => call.fail(error),
    );
  } catch (error) {
    // A Promise subclass whose `then` throws: a failed call like any other, not a throw at the caller.
    call.fail(error);
  }
  return settled;
}

/** `settle` without a deadline: a rejection, or a `then` that throws, is reported and answers undefined. */
function unbounded<T>(
  result: Promise<T>,
  layer: CacheLayer,
  operation: string,
  onError: LayerErrorHandler,
  key: CacheKey | undefined,
): Promise<T | undefined> {
  const fail = (error: unknown): undefined => void onError(layer, operation, toError(error), key);
  try {
    return result.then(undefined, fail);
  } catch (error) {
    return Promise.resolve(fail(error));
  }
}
