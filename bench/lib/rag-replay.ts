import type { Cache } from "ragcache";
import type { RedisServer } from "../../test/support/redis-server.ts";
import { pool } from "./measure.ts";
import type { StreamRequest } from "./query-stream.ts";
import type { Served } from "./rag-pipeline.ts";

/** One mode of the RAG end-to-end bench: the query stream replayed, with what each request cost and where it was answered. */

export interface ModeResult {
  mode: string;
  served: Served[];
  errors: number;
  layerEvents: number;
  /** Layer error events by layer, operation and message, most frequent first. */
  errorKinds: [string, number][];
  /** Time each layer took to answer a miss, by layer name. */
  missLookups: Map<string, number[]>;
  layers?: unknown;
  halves?: { before: Served[]; after: Served[] };
}

/** Replays the requests through `handle`, `concurrency` at a time (observing `cache`, if any); `kill` SIGKILLs Redis before that request. */
export async function replay(
  mode: string,
  requests: readonly StreamRequest[],
  concurrency: number,
  cache: Cache | undefined,
  handle: (request: StreamRequest) => Promise<Served>,
  kill?: { server: RedisServer; at: number },
): Promise<ModeResult> {
  let layerEvents = 0;
  const kinds = new Map<string, number>();
  cache?.on("error", ({ layer, operation, error }) => {
    layerEvents++;
    const kind = `${layer} ${operation}: ${error.message.slice(0, 120).replace(/\d+/g, "N")}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  });
  const missLookups = new Map<string, number[]>();
  cache?.on("layer-miss", ({ layer, ms }) => {
    if (!missLookups.has(layer)) missLookups.set(layer, []);
    missLookups.get(layer)!.push(ms);
  });
  const served: Served[] = new Array(requests.length);
  let errors = 0;
  await pool(requests, concurrency, async (request, index) => {
    if (kill && index === kill.at) await kill.server.kill();
    try {
      served[index] = await handle(request);
    } catch {
      errors++;
      served[index] = { ms: Number.NaN, source: "exception" };
    }
  });
  const layerStats = cache?.stats().layers;
  await cache?.close();
  const half = kill?.at ?? 0;
  console.error(`${mode}: done (${errors} exceptions, ${layerEvents} layer error events)`);
  const errorKinds = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return {
    mode,
    served,
    errors,
    layerEvents,
    errorKinds,
    missLookups,
    layers: layerStats,
    halves: kill ? { before: served.slice(0, half), after: served.slice(half) } : undefined,
  };
}
