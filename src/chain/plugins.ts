import type { CacheHandle, CachePlugin } from "../options.ts";
import type { MaybePromise } from "../types.ts";

/**
 * Starts every plugin's setup at once, in order: a plugin is attached (usable) without waiting for
 * the result, which only waits for the asynchronous rest (files, tables). Each teardown a setup
 * returns is passed to `onTeardown`; rejects with the first plugin that failed.
 */
export async function setupPlugins(
  cache: CacheHandle,
  plugins: CachePlugin[],
  onTeardown: (teardown: () => MaybePromise<void>) => void,
): Promise<void> {
  const started = plugins.map((plugin) => {
    try {
      return Promise.resolve(plugin.setup(cache));
    } catch (error) {
      return Promise.reject(error);
    }
  });
  const settled = await Promise.allSettled(started);
  for (const result of settled) if (result.status === "fulfilled" && result.value) onTeardown(result.value);
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}
