import type { CacheEntry, CacheKey, Invalidation, LayerHit } from "../../src/index.ts";
import { decodeEntry, encodeEntry } from "./codec.ts";
import type { JournalLog } from "./journal-log.ts";

/** One write as the router sees it; `operation` names it in error events. */
export type Change =
  | { operation: "set"; key: CacheKey; entry: CacheEntry; px: number; ifNewer?: boolean }
  | { operation: "delete"; key: CacheKey }
  | { operation: "clear"; namespace?: string }
  | { operation: "invalidateTags"; tags: readonly string[] };

/** The key a change concerns, for error events; clears and tag invalidations have none. */
export function keyOf(change: Change): CacheKey | undefined {
  return "key" in change ? change.key : undefined;
}

/** What other processes must forget after the change. */
export function invalidationOf(change: Change): Invalidation {
  if (change.operation === "clear") return { type: "clear", namespace: change.namespace };
  if (change.operation === "invalidateTags") return { type: "tags", tags: change.tags };
  return { type: "delete", ids: [change.key.id] };
}

/** First line of every journal file: the format and its version. */
export const JOURNAL_HEADER = "ragcache-journal 1";

/**
 * A change as one line of text: `set <id> <entry>` (the entry in the Redis format, see codec.ts),
 * `delete <id>`, `clear`, `clear <namespace>` or `tags <JSON array>`. Ids and namespaces contain no
 * space and JSON no newline, so a line is self-contained: replaying needs nothing but the journal.
 */
export function encodeChange(change: Change): string {
  if (change.operation === "set") return `set ${change.key.id} ${encodeEntry(change.entry)}`;
  if (change.operation === "delete") return `delete ${change.key.id}`;
  if (change.operation === "clear") return change.namespace === undefined ? "clear" : `clear ${change.namespace}`;
  return `tags ${JSON.stringify(change.tags)}`;
}

/** The final state a journal leaves behind, in the order Redis must be told: clears, tags, then each key. */
export interface Plan {
  everything: boolean;
  namespaces: Set<string>;
  tags: Set<string>;
  /** Each key's last journaled state: the entry to restore, or null when it was deleted. */
  ids: Map<string, LayerHit | null>;
  /** Lines that did not parse (a write torn by a crash before it was acknowledged). */
  unreadable: number;
  /** Lines folded, so that only those are forgotten once the plan is replayed. */
  lines: number;
}

/** Folds journal lines, oldest first, into the state they leave behind. */
export function planOf(lines: readonly string[]): Plan {
  const plan: Plan = {
    everything: false,
    namespaces: new Set(),
    tags: new Set(),
    ids: new Map(),
    unreadable: 0,
    lines: lines.length,
  };
  for (const line of lines) if (line !== JOURNAL_HEADER && line !== "" && !apply(plan, line)) plan.unreadable++;
  return plan;
}

function apply(plan: Plan, line: string): boolean {
  const space = line.indexOf(" ");
  const verb = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? "" : line.slice(space + 1);
  if (verb === "clear" && rest === "") {
    Object.assign(plan, { everything: true, namespaces: new Set(), tags: new Set(), ids: new Map() });
  } else if (verb === "clear") {
    plan.namespaces.add(rest);
    for (const id of plan.ids.keys()) if (id.startsWith(`${rest}:`)) plan.ids.set(id, null);
  } else if (verb === "tags") {
    const tags = parseTags(rest);
    if (!tags) return false;
    for (const tag of tags) plan.tags.add(tag);
    // Forgotten, not dropped: Redis may hold an older, untagged version of such a key.
    for (const [id, entry] of plan.ids) if (entry?.tags?.some((tag) => tags.includes(tag))) plan.ids.set(id, null);
  } else if (verb === "delete" && rest) {
    plan.ids.set(rest, null);
  } else if (verb === "set") {
    const gap = rest.indexOf(" ");
    const entry = gap > 0 ? decoded(rest.slice(gap + 1)) : undefined;
    if (!entry) return false;
    plan.ids.set(rest.slice(0, gap), entry);
  } else {
    return false;
  }
  return true;
}

function parseTags(json: string): string[] | undefined {
  try {
    const tags: unknown = JSON.parse(json);
    return Array.isArray(tags) && tags.every((tag) => typeof tag === "string") ? tags : undefined;
  } catch {
    return undefined;
  }
}

function decoded(payload: string): LayerHit | undefined {
  try {
    return decodeEntry(payload, "journal");
  } catch {
    return undefined;
  }
}

/** The invalidations other processes must apply to forget what they may hold for a replayed plan. */
export function invalidationsOf(plan: Plan): Invalidation[] {
  if (plan.everything) return [{ type: "clear" }];
  const list: Invalidation[] = [...plan.namespaces].map((namespace) => ({ type: "clear", namespace }));
  if (plan.tags.size) list.push({ type: "tags", tags: [...plan.tags] });
  if (plan.ids.size) list.push({ type: "delete", ids: [...plan.ids.keys()] });
  return list;
}

/**
 * The changes made while Redis was out of reach, for recovery to replay. Bounded by `maxJournal`
 * changes and `maxJournalBytes`: past either the journal becomes one `clear`, and recovery clears
 * the whole prefix instead.
 */
export class Journal {
  #log: JournalLog;
  #max: { changes: number; bytes: number };
  #overflowed = false;
  #collapsedSincePlan = false;

  constructor(log: JournalLog, max: { changes: number; bytes: number }) {
    this.#log = log;
    this.#max = max;
  }

  get size(): number {
    return this.#log.size;
  }

  record(change: Change): Promise<void> {
    if (this.#overflowed) return Promise.resolve();
    const line = encodeChange(change);
    if (this.#log.size < this.#max.changes && this.#log.bytes + line.length < this.#max.bytes) return this.#log.append([line]);
    this.#overflowed = true;
    this.#collapsedSincePlan = true;
    return this.#log.replace(["clear"]);
  }

  async plan(): Promise<Plan> {
    this.#collapsedSincePlan = false;
    return planOf(await this.#log.read());
  }

  /**
   * Forgets the lines a replayed plan was made of. A write that failed while the plan was being
   * replayed (it was in flight when recovery began) was journaled after them and stays.
   */
  async forget(plan: Plan): Promise<void> {
    if (this.#collapsedSincePlan) return; // one clear now: kept whole for the next replay
    await this.#log.dropFirst(plan.lines);
    if (!this.#log.size) this.#overflowed = false;
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}
