import type { CacheEvents } from "../types.ts";

export type Listener<E extends keyof CacheEvents> = (payload: CacheEvents[E]) => void;

/**
 * A tiny typed emitter. `has` lets the chain skip building payloads (and reading the clock) for
 * events nobody listens to, so an unobserved cache pays nothing for observability.
 */
export class Emitter {
  #listeners = new Map<string, Listener<any>[]>();
  #onChange: () => void;

  constructor(onChange: () => void = () => {}) {
    this.#onChange = onChange;
  }

  on<E extends keyof CacheEvents & string>(event: E, listener: Listener<E>): () => void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    this.#onChange();
    return () => this.off(event, listener);
  }

  off<E extends keyof CacheEvents & string>(event: E, listener: Listener<E>): void {
    const remaining = (this.#listeners.get(event) ?? []).filter((l) => l !== listener);
    if (remaining.length) this.#listeners.set(event, remaining);
    else this.#listeners.delete(event);
    this.#onChange();
  }

  has(event: keyof CacheEvents & string): boolean {
    return this.#listeners.has(event);
  }

  /** A listener that throws must not break the cache operation that emitted the event. */
  emit<E extends keyof CacheEvents & string>(event: E, payload: CacheEvents[E]): void {
    const listeners = this.#listeners.get(event);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(payload);
      } catch (error) {
        if (event !== "error") this.emit("error", { layer: "listener", operation: `on("${event}")`, error: error as Error });
      }
    }
  }
}
