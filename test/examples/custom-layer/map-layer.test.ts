import { expect, test } from "bun:test";
import { createKey } from "ragcache";
import { layerConformance, testContext, testEntry } from "ragcache/testing";
import { mapLayer } from "../../../examples/custom-layer/map-layer.ts";

layerConformance("map layer (examples/custom-layer)", () => mapLayer(), { additionalTests: mapLayerTests });

/** What this layer does beyond the shared suite, in the same `describe`. */
function mapLayerTests(): void {
  test("stats counts the entries", () => {
    const layer = mapLayer();
    layer.attach(testContext());
    layer.set(createKey("q"), testEntry(createKey("q"), 1));
    expect(layer.stats()).toEqual({ entries: 1 });
  });
}
