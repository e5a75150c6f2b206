import { sha256Hex } from "../key.ts";

/** Memoized scopes are dropped all at once past this many callers; hashing again is cheap. */
const MAX_MEMO = 10_000;

/**
 * The scope of a caller's entries: a SHA-256 digest of the API key it sent (never the key itself),
 * or one shared scope. A caller without a key gets the "anonymous" scope.
 * @example
 * ```ts
 * const scope = scopes.of(request.headers.get("authorization"));
 * ```
 */
export class Scopes {
  #shared: boolean;
  #memo = new Map<string, string>();

  constructor(mode: "caller" | "shared") {
    this.#shared = mode === "shared";
  }

  of(credential: string | null | undefined): string {
    if (this.#shared) return "shared";
    if (!credential) return "anonymous";
    let scope = this.#memo.get(credential);
    if (scope) return scope;
    scope = sha256Hex(credential).slice(0, 32);
    if (this.#memo.size >= MAX_MEMO) this.#memo.clear();
    this.#memo.set(credential, scope);
    return scope;
  }
}
