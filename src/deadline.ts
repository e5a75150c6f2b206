/**
 * `work`'s outcome, or `onLate()`'s (its value, or what it throws) once `ms` pass first; the timer
 * is cleared either way. `work` is not cancelled: it settles unobserved. For a layer's own deadline
 * on the requests it makes (the chain bounds each layer call as well).
 * @example
 * ```ts
 * const rows = await withinDeadline(query(), 500, () => {
 *   throw new RagCacheError("E_LAYER_TIMEOUT", "no answer within 500 ms");
 * });
 * ```
 */
export function withinDeadline<T>(work: Promise<T>, ms: number, onLate: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onLate());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
