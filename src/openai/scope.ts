/** Memoized scopes are dropped all at once past this many callers; hashing again is cheap. */
const MAX_MEMO = 10_000;

/**
 * The scope of a caller's entries: a SHA-256 digest of the API key it sent (never the key itself),
 * or one shared scope. A caller without a key gets the "anonymous" scope.
 * @example
 * ```ts
 * const scope = await scopes.of(request.headers.get("authorization"));
 * ```
 */
export class Scopes {
  #shared: boolean;
  #memo = new Map<string, string>();

  constructor(mode: "caller" | "shared") {
    this.#shared = mode === "shared";
  }

  of(credential: string | null | undefined): string | Promise<string> {
    if (this.#shared) return "shared";
    if (!credential) return "anonymous";
    const known = this.#memo.get(credential);
    if (known) return known;
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(credential)).then((digest) => {
      const scope = Array.from(new Uint8Array(digest).subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
      if (this.#memo.size >= MAX_MEMO) this.#memo.clear();
      this.#memo.set(credential, scope);
      return scope;
    });
  }
}
