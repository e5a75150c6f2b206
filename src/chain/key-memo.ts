import { assertUserNamespace, createKey, type KeyOptions } from "../key.ts";
import type { CacheKey } from "../types.ts";

/** Keys of short, frequent texts are memoized, bounded in count per namespace and in namespaces. */
const KEYS_PER_NAMESPACE = 50_000;
const NAMESPACES = 256;
const TEXT_LENGTH = 512;

/**
 * Remembers the key of each recent (namespace, text): normalizing and hashing cost more than the L1
 * lookup they lead to. Keys with parameters are built each time (their JSON would be the memo key).
 */
export class KeyMemo {
  #maxKeyLength: number;
  #byNamespace = new Map<string, Map<string, CacheKey>>();
  #defaultNamespace: Map<string, CacheKey> | undefined;

  constructor(maxKeyLength: number) {
    this.#maxKeyLength = maxKeyLength;
  }

  key(text: string, options: KeyOptions): CacheKey {
    if (options.namespace !== undefined) assertUserNamespace(options.namespace);
    if (options.params !== undefined || text.length > TEXT_LENGTH) return createKey(text, options, this.#maxKeyLength);
    const memo = options.namespace === undefined ? this.#defaultNamespace : this.#byNamespace.get(options.namespace);
    return memo?.get(text) ?? this.#remember(text, options, memo);
  }

  #remember(text: string, options: KeyOptions, memo: Map<string, CacheKey> | undefined): CacheKey {
    const key = createKey(text, options, this.#maxKeyLength);
    if (!memo || memo.size >= KEYS_PER_NAMESPACE) {
      memo = new Map();
      if (options.namespace === undefined) this.#defaultNamespace = memo;
      else {
        if (this.#byNamespace.size >= NAMESPACES) this.#byNamespace.clear();
        this.#byNamespace.set(options.namespace, memo);
      }
    }
    memo.set(text, key);
    return key;
  }
}
