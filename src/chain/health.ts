import { callLayer } from "./layer-call.ts";
import type { CacheLayer, LayerHealth } from "../types.ts";

/** What `cache.health()` answers (and `GET /health` shows): the worst state, and each layer's. */
export interface ChainHealth {
  /** The worst layer's state. */
  state: LayerHealth["state"];
  layers: ({ name: string } & LayerHealth)[];
}

/** Every layer's state; a layer without `health` is "up", one whose check fails or hangs is "down". */
export async function chainHealth(layers: readonly CacheLayer[], timeoutMs = 2_000): Promise<ChainHealth> {
  const states = await Promise.all(
    layers.map(async (layer) => {
      const health = (await callLayer(
        layer,
        "health",
        () => layer.health?.() ?? { state: "up" as const },
        timeoutMs,
        () => {},
      )) ?? {
        state: "down" as const,
        detail: "health check failed or timed out",
      };
      return { name: layer.name, ...health };
    }),
  );
  const worst = states.some((l) => l.state === "down") ? "down" : states.some((l) => l.state === "degraded") ? "degraded" : "up";
  return { state: worst, layers: states };
}
