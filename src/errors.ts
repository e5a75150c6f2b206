/** Stable codes: match on `error.code`, never on the message. */
export type ErrorCode =
  | "E_CONFIG_INVALID"
  | "E_LAYER_TIMEOUT"
  | "E_LAYER_FAILED"
  | "E_VALUE_TOO_LARGE"
  | "E_KEY_TOO_LARGE"
  | "E_INVALID_KEY"
  | "E_INVALID_DURATION"
  | "E_INVALID_TTL"
  | "E_NOT_SERIALIZABLE"
  | "E_INTEGRITY"
  | "E_CLOSED"
  | "E_LOADER_FAILED"
  | "E_MISSING_PEER";

/**
 * The one error class of ragcache: a stable `code`, a message prefixed with its source (layer or plugin).
 * @example
 * ```ts
 * throw new RagCacheError("E_LAYER_FAILED", "the index is unreadable", { source: "my-layer" });
 * ```
 */
export class RagCacheError extends Error {
  override readonly name = "RagCacheError";
  readonly code: ErrorCode;
  /** The layer or plugin the error comes from, also the message's prefix. */
  readonly source?: string;
  /** Machine-readable details: the config issues, the limit that was exceeded … */
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: { source?: string; details?: unknown; cause?: unknown } = {}) {
    super(options.source ? `${options.source}: ${message}` : message, { cause: options.cause });
    this.code = code;
    this.source = options.source;
    this.details = options.details;
  }
}

/**
 * Whether `error` is a `RagCacheError`, of `code` when given.
 * @example
 * ```ts
 * if (isRagCacheError(error, "E_VALUE_TOO_LARGE")) return c.json({ error: error.message }, 413);
 * ```
 */
export function isRagCacheError(error: unknown, code?: ErrorCode): error is RagCacheError {
  return error instanceof RagCacheError && (code === undefined || error.code === code);
}

/**
 * Whatever was thrown, as an Error (layers and loaders may throw anything).
 * @example
 * ```ts
 * context.emit("error", { layer: name, operation: "get", error: toError(thrown) });
 * ```
 */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
