export { Cache, createCache } from "./chain/cache.ts";
export type { ChainHealth } from "./chain/health.ts";
export type {
  CacheHandle,
  CacheOptions,
  CachePlugin,
  PluginCapabilities,
  PluginJob,
  CacheStats,
  GetOptions,
  GetOrSetOptions,
  LayerStats,
  Loader,
  Query,
  Resolution,
  SetOptions,
} from "./options.ts";
export { toMs, isDuration } from "./duration.ts";
export { Histogram, type LatencySummary } from "./histogram.ts";
export { jsonLogger, logEvents, logLevelOf, type JsonLoggerOptions, type LogFields, type Logger, type LogLevel } from "./log.ts";
export { backfillLoses, isNewer, keepUntil, nextStamp, serializedSize, valueJson } from "./entry.ts";
export { RagCacheError, isRagCacheError, toError, type ErrorCode } from "./errors.ts";
export { importPeer } from "./peer.ts";
export { withinDeadline } from "./deadline.ts";
export {
  canonicalJson,
  createKey,
  keyFromId,
  keyOf,
  normalizeText,
  sha256Hex,
  DEFAULT_NAMESPACE,
  RESERVED_NAMESPACE,
  type KeyOptions,
} from "./key.ts";
export {
  defaultConfig,
  defaultLayers,
  durationSchema,
  functionSchema,
  layerSchema,
  loadConfig,
  parseOptions,
  positiveDurationSchema,
  parseConfig,
  pluginRefSchema,
  type EnvAlias,
  type PluginRef,
  type RagConfig,
} from "./config/index.ts";
export {
  CORPUS_NAMESPACE,
  CorpusVersion,
  RagCache,
  documentTag,
  idsOfDocuments,
  type CorpusOptions,
  type CorpusRecord,
  type DocumentId,
  type RagCacheOptions,
  type RagStage,
  type RagStageOptions,
} from "./rag/index.ts";
export type * from "./types.ts";
