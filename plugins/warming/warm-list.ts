import { z } from "zod";
import { RagCacheError, type KeyParams } from "../../src/index.ts";

/** One entry of `warm_queries.json`. */
export interface WarmQuery {
  /** Default "default". */
  namespace?: string;
  query: string;
  params?: KeyParams;
  /** Higher goes first. Default 0, the same as learned queries (those are then ordered by frequency). */
  priority?: number;
}

export const warmQuerySchema = z.strictObject({
  namespace: z.string().min(1).optional(),
  query: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
  priority: z.number().finite().optional(),
});

const warmListSchema = z.array(warmQuerySchema);

/**
 * A warm list given inline, or the path of a JSON file holding one; every problem reported at once.
 * @example
 * ```ts
 * const queries = await readWarmList("warm_queries.json"); // [{ namespace, query, params, priority }, …]
 * ```
 */
export async function readWarmList(source: string | readonly WarmQuery[]): Promise<WarmQuery[]> {
  let input: unknown = source;
  if (typeof source === "string") {
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(source, "utf8").catch((error: Error) => {
      throw listError(`warm list ${source} cannot be read: ${error.message}`);
    });
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw listError(`warm list ${source} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = warmListSchema.safeParse(input);
  if (parsed.success) return parsed.data as WarmQuery[];
  const problems = parsed.error.issues.map((issue) => `  - [${issue.path.join(".")}]: ${issue.message}`).join("\n");
  const where = typeof source === "string" ? source : "the warm list";
  throw listError(
    `${where} must be an array of { namespace?, query, params?, priority? }, ${parsed.error.issues.length} problem(s):\n${problems}`,
  );
}

function listError(message: string): RagCacheError {
  return new RagCacheError("E_CONFIG_INVALID", message, { source: "warming" });
}
