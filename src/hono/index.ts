export { ragcache, type RagCacheMiddlewareOptions } from "./middleware.ts";
export { defaultRequestKey, type KeyFunction, type RequestKey } from "./request-key.ts";
export { SAFE_HEADERS, uncacheableReason, type StoredResponse } from "./stored-response.ts";
