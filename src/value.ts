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
    const item = pending.pop()! as Record<string, unknown>;
    Object.freeze(item);
    for (const name in item) {
      const child = item[name];
      if (typeof child === "object" && child !== null && !Object.isFrozen(child)) pending.push(child);
    }
  }
  return value;
}
