export { cached } from "./handler.ts";
export { ragcache, type RagCacheMiddlewareOptions } from "./middleware.ts";
export { defaultRequestKey, requestParts, type KeyFunction, type RequestKey, type RequestParts } from "./request-key.ts";
export { SAFE_HEADERS, uncacheableReason, type StoredResponse } from "./stored-response.ts";
