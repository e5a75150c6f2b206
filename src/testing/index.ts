export { chaos, type ChaosLayer } from "./chaos.ts";
export { manualClock, type ManualClock } from "./clock.ts";
export { layerConformance, testContext, testEntry, type ConformanceOptions, type TestContext } from "./conformance.ts";
