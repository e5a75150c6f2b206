import type { CacheLayer } from "./types.ts";

/**
 * Identity at run time; at compile time it checks a custom layer against the contract and keeps
 * its own extra members typed. `defineLayer({ name: "my-layer", get, set, … })`.
 */
export function defineLayer<L extends CacheLayer>(layer: L): L {
  return layer;
}
