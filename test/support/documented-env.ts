/** The environment block of the original requirements, verbatim: it must work as written. */
export const DOCUMENTED_ENV = {
  RAG_REDIS_MAX_CONNECTIONS: "50",
  RAG_SOCKET_TIMEOUT: "5.0",
  RAG_HEALTH_CHECK_INTERVAL: "30",
  RAG_ENABLE_ENHANCED_METRICS: "true",
  RAG_ENABLE_CACHE_WARMING: "true",
  RAG_CACHE_WARMING_TOP_N: "100",
  RAG_CACHE_WARMING_HOUR: "2",
  RAG_CACHE_HIT_RATE_THRESHOLD: "0.6",
};
