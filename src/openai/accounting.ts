import type { UpstreamConfig } from "./options.ts";

/** Models counted separately; callers name the model, so the rest share one row instead of growing without bound. */
const MAX_MODELS = 100;

/** How the proxy answered one request ("stale": an expired entry in its grace, while the upstream failed). */
export type Outcome = "hit" | "semantic" | "stale" | "miss" | "bypass";

/** Token counts of an answer, as the upstream's `usage` reports them. */
export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** One model's counters: requests by outcome, and what the hits saved. */
export interface ModelStats {
  requests: Record<Outcome, number>;
  /** Upstream calls made (a joined stream or a batch counts once). */
  upstreamCalls: number;
  /** Tokens the upstream did not have to process, by the cached answers' own `usage`. */
  savedPromptTokens: number;
  savedCompletionTokens: number;
  /** `saved*Tokens` priced with the config's `prices` (0 for a model without a price). */
  savedCost: number;
}

/**
 * Per-model request counts and the tokens and cost that cached answers saved.
 * @example
 * ```ts
 * const accounting = new Accounting({ "gpt-4o-mini": { input: 0.15, output: 0.6 } });
 * accounting.count("gpt-4o-mini", "hit", { prompt_tokens: 20, completion_tokens: 80 });
 * ```
 */
export class Accounting {
  #models = new Map<string, ModelStats>();
  #prices: UpstreamConfig["prices"];

  constructor(prices: UpstreamConfig["prices"]) {
    this.#prices = prices;
  }

  /** Counts one request, and the tokens the cache answered for it without the upstream (`saved`). */
  count(model: string, outcome: Outcome, saved?: Usage): void {
    const stats = this.#of(model);
    stats.requests[outcome]++;
    if (!saved) return;
    const prompt = saved.prompt_tokens ?? 0;
    const completion = saved.completion_tokens ?? 0;
    stats.savedPromptTokens += prompt;
    stats.savedCompletionTokens += completion;
    // The caller names the model: "constructor" must not find Object's.
    const price = Object.hasOwn(this.#prices, model) ? this.#prices[model] : undefined;
    if (price) stats.savedCost += (prompt * price.input + completion * price.output) / 1_000_000;
  }

  upstreamCall(model: string): void {
    this.#of(model).upstreamCalls++;
  }

  /** Every model's counters, for /stats. */
  snapshot(): Record<string, ModelStats> {
    return Object.fromEntries([...this.#models].map(([model, stats]) => [model, structuredClone(stats)]));
  }

  /** The counters in the Prometheus text format, appended to /metrics. */
  prometheus(): string {
    const lines = [
      "# HELP ragcache_gateway_requests_total Requests to the OpenAI-compatible proxy, by model and outcome.",
      "# TYPE ragcache_gateway_requests_total counter",
    ];
    const rows = [...this.#models];
    for (const [model, stats] of rows)
      for (const [outcome, count] of Object.entries(stats.requests))
        lines.push(`ragcache_gateway_requests_total{model=${label(model)},outcome="${outcome}"} ${count}`);
    const metric = (name: string, help: string, value: (stats: ModelStats) => string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [model, stats] of rows) lines.push(value(stats).replaceAll("MODEL", label(model)));
    };
    metric(
      "ragcache_gateway_upstream_calls_total",
      "Calls the proxy made upstream.",
      (s) => `ragcache_gateway_upstream_calls_total{model=MODEL} ${s.upstreamCalls}`,
    );
    metric(
      "ragcache_gateway_saved_tokens_total",
      "Tokens that cached answers saved, by kind.",
      (s) =>
        `ragcache_gateway_saved_tokens_total{model=MODEL,kind="prompt"} ${s.savedPromptTokens}\n` +
        `ragcache_gateway_saved_tokens_total{model=MODEL,kind="completion"} ${s.savedCompletionTokens}`,
    );
    metric(
      "ragcache_gateway_saved_cost_total",
      "Estimated cost saved, at the configured prices.",
      (s) => `ragcache_gateway_saved_cost_total{model=MODEL} ${s.savedCost}`,
    );
    return `${lines.join("\n")}\n`;
  }

  #of(requested: string): ModelStats {
    const model = this.#models.has(requested) || this.#models.size < MAX_MODELS ? requested : "(other)";
    let stats = this.#models.get(model);
    if (!stats) {
      stats = {
        requests: { hit: 0, semantic: 0, stale: 0, miss: 0, bypass: 0 },
        upstreamCalls: 0,
        savedPromptTokens: 0,
        savedCompletionTokens: 0,
        savedCost: 0,
      };
      this.#models.set(model, stats);
    }
    return stats;
  }
}

/**
 * A model name as a quoted label value. The exposition format escapes only backslash, quote and line
 * feed (those become "_" here); any other character stands as it is (JSON's escapes such as `\t`
 * are invalid there and would fail the whole scrape).
 */
function label(value: string): string {
  return `"${value.replace(/[\n"\\]/g, "_")}"`;
}
