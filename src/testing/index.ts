export { chaos, type ChaosLayer } from "./chaos.ts";
export { manualClock } from "./clock.ts";
export { layerConformance, testContext, testEntry, type ConformanceOptions } from "./conformance.ts";
