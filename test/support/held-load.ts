/**
 * A loader that runs until released: `running` resolves once it was called (with a redis layer, after
 * the process took the key's lock), `release()` lets it answer `value`.
 * @example
 * ```ts
 * const held = heldLoad("loaded");
 * const loading = cache.getOrSet("q", held.load);
 * await held.running;
 * held.release();
 * ```
 */
export function heldLoad<V>(value: V) {
  let release = () => {};
  let started = () => {};
  const running = new Promise<void>((resolve) => (started = resolve));
  const load = () =>
    new Promise<V>((resolve) => {
      release = () => resolve(value);
      started();
    });
  return { load, running, release: () => release() };
}
