/**
 * Freezes a value and every object and array in it, so that nobody holding a reference can change
 * what the cache serves. Iterative: a value may nest deeper than the call stack. A frozen root is
 * taken as frozen all through (only this function freezes cached values).
 * @example
 * ```ts
 * const value = deepFreeze(JSON.parse('{"docs":[1,2]}'));
 * Object.isFrozen(value.docs); // true
 * ```
 */
export function deepFreeze<V>(value: V): V {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  const pending: object[] = [value];
  while (pending.length) {
    const item = pending.pop()!;
    Object.freeze(item);
    // An array by index: for-in would walk it by string keys, the slow way to read an array.
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) freezeLater(item[i], pending);
    } else {
      for (const name in item) freezeLater((item as Record<string, unknown>)[name], pending);
    }
  }
  return value;
}

function freezeLater(child: unknown, pending: object[]): void {
  if (typeof child === "object" && child !== null && !Object.isFrozen(child)) pending.push(child);
}
