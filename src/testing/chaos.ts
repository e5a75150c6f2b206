import type { CacheLayer, MaybePromise } from "../types.ts";

type Mode = { kind: "healthy" } | { kind: "throw"; error: Error } | { kind: "delay"; ms: number } | { kind: "hang" };

/** A layer wrapped by `chaos`: the layer itself, plus switches that make it fail on demand. */
export type ChaosLayer<L extends CacheLayer = CacheLayer> = L & {
  /** Every call throws `error` (synchronously for a synchronous layer). */
  alwaysThrow(error?: Error): void;
  /** Every call answers `ms` later. */
  delay(ms: number): void;
  /** Every call returns a promise that never settles. */
  hang(): void;
  /** Back to the wrapped layer's own behaviour. */
  heal(): void;
};

const OPERATIONS = ["get", "set", "delete", "clear", "invalidateTags", "health"] as const;

/**
 * Wraps a layer so a test can make it fail on demand: the way to prove that a failing or slow
 * layer degrades to a miss instead of reaching the caller.
 * @example
 * ```ts
 * const l2 = chaos(redis({ url }));
 * const cache = createCache({ layers: [memory(), l2] });
 * l2.alwaysThrow();
 * expect(await cache.get("q")).toBeUndefined(); // a miss and an error event, not an exception
 * ```
 */
export function chaos<L extends CacheLayer>(layer: L): ChaosLayer<L> {
  let mode: Mode = { kind: "healthy" };
  const wrapped: Record<string, unknown> = Object.create(layer);
  for (const operation of OPERATIONS) {
    const original = layer[operation] as ((...args: unknown[]) => MaybePromise<unknown>) | undefined;
    if (!original) continue;
    wrapped[operation] = (...args: unknown[]) => {
      switch (mode.kind) {
        case "healthy":
          return original.apply(layer, args);
        case "throw":
          throw mode.error;
        case "hang":
          return new Promise(() => {});
        case "delay": {
          const ms = mode.ms;
          return new Promise((resolve) => setTimeout(resolve, ms)).then(() => original.apply(layer, args));
        }
      }
    };
  }
  return Object.assign(wrapped, {
    alwaysThrow: (error = new Error(`${layer.name} is broken (chaos)`)) => void (mode = { kind: "throw", error }),
    delay: (ms: number) => void (mode = { kind: "delay", ms }),
    hang: () => void (mode = { kind: "hang" }),
    heal: () => void (mode = { kind: "healthy" }),
  }) as ChaosLayer<L>;
}
