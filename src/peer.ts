import { RagCacheError } from "./errors.ts";

/**
 * Loads an optional peer dependency of a plugin, turning "package not installed" into a
 * `RagCacheError` (`E_MISSING_PEER`) that names the package to install; other failures pass through.
 *
 * @example
 * const { Redis } = await importPeer("ioredis", "ragcache/redis", () => import("ioredis"));
 */
export async function importPeer<T>(name: string, neededBy: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isNotInstalled(error, name)) throw error;
    throw new RagCacheError(
      "E_MISSING_PEER",
      `${neededBy} needs the "${name}" package: install it next to ragcache (npm install ${name}, bun add ${name}, deno add npm:${name})`,
      { cause: error },
    );
  }
}

function isNotInstalled(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof message !== "string" || !message.includes(name)) return false;
  return code === "ERR_MODULE_NOT_FOUND" || /cannot find|could not find|not found|failed to resolve/i.test(message);
}
