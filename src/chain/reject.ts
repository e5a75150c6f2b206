import { RagCacheError } from "../errors.ts";
import type { Resolution } from "../options.ts";
import type { CacheKey, CacheLayer } from "../types.ts";

/**
 * The first half of `cache.reject`: hands a "wrong" verdict on a lookup's semantic match to the layer
 * that answered it, and answers the key whose back-filled copies the chain must then delete. The
 * verdict is stored before anything is deleted, so that an instance evicting its copy on hearing of
 * the delete already finds the verdict on its next semantic lookup.
 */
export async function judgeWrong(layers: readonly CacheLayer[], resolution: Resolution | undefined): Promise<CacheKey> {
  const { key, layer: name, matchedText } = resolution ?? {};
  if (!key || !name || matchedText === undefined)
    throw new RagCacheError(
      "E_CONFIG_INVALID",
      "reject() takes a semantic hit of cache.lookup or cache.resolve (one with key, layer and matchedText)",
    );
  const layer = layers.find((candidate) => candidate.name === name);
  if (!layer?.judge)
    throw new RagCacheError(
      "E_CONFIG_INVALID",
      `layer "${name}" takes no feedback: only a semantic layer's hits can be rejected`,
      {
        source: name,
      },
    );
  await layer.judge(key, matchedText, "wrong");
  return key;
}
