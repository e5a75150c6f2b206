import type { CacheKey, CacheLayer, LayerHit } from "ragcache";

/**
 * A layer whose next read takes its answer at once but returns it only once `wait()` settles, as over
 * a slow network: what it answers predates whatever `wait` did.
 */
export function lateOnce(layer: CacheLayer, wait: () => Promise<unknown>): CacheLayer {
  let late = true;
  return {
    ...layer,
    get(key: CacheKey) {
      const hit = layer.get(key);
      if (!late) return hit;
      late = false;
      return wait().then(() => hit as LayerHit | undefined);
    },
  };
}
