export { openAIProxy, type OpenAIProxy, type OpenAIProxyOptions } from "./proxy.ts";
export { upstreamSchema, type UpstreamConfig, type UpstreamInput } from "./options.ts";
export type { ModelStats, Outcome, Usage } from "./accounting.ts";
export { assemble, chunksOf, type Endpoint, type StoredAnswer } from "./answer.ts";
