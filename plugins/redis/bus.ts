import type { Invalidation } from "../../src/index.ts";
import type { Client } from "./connect.ts";

export interface BusConfig {
  subscriber: Client;
  channel: string;
  /** Publishes on a pooled connection (auto-pipelined with the write it follows). */
  publish: (channel: string, message: string) => Promise<unknown>;
  /** An invalidation from another process. */
  onRemote: (invalidation: Invalidation) => void;
  /** The subscription was lost and is back: messages may have been missed meanwhile. */
  onResync: () => void;
}

/**
 * Multi-instance coherence over Redis pub/sub: every write, delete, tag invalidation or clear is
 * published with this process's origin id; the other processes apply it to their faster layers.
 */
export function invalidationBus(config: BusConfig) {
  const origin = crypto.randomUUID();
  const { subscriber, channel } = config;
  // Every connection after the first is a resync (ioredis resubscribes by itself), even when the first
  // SUBSCRIBE had not been acknowledged yet; meanwhile the command connections report the outage.
  let connectedOnce = false;
  subscriber.on("error", () => {});
  subscriber.on("ready", () => {
    if (connectedOnce) config.onResync();
    connectedOnce = true;
  });
  let closed = () => {};
  // Settled by close() too: ioredis keeps a SUBSCRIBE queued for a Redis it never reached even after disconnect().
  const subscribed = Promise.race([
    subscriber.subscribe(channel).then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => (closed = resolve)),
  ]);
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    let parsed: { o?: unknown; i?: Invalidation };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (parsed.o !== origin && parsed.i && isInvalidation(parsed.i)) config.onRemote(parsed.i);
  });
  return {
    origin,
    /** Resolves once the first subscription attempt settled. */
    subscribed,
    publish(invalidation: Invalidation): Promise<unknown> {
      return config.publish(channel, JSON.stringify({ o: origin, i: invalidation }));
    },
    close(): void {
      subscriber.disconnect();
      closed();
    },
  };
}

export type InvalidationBus = ReturnType<typeof invalidationBus>;

function isInvalidation(value: Invalidation): boolean {
  if (value.type === "delete") return Array.isArray(value.ids) && value.ids.every((id) => typeof id === "string");
  if (value.type === "tags") return Array.isArray(value.tags) && value.tags.every((tag) => typeof tag === "string");
  return value.type === "clear" && (value.namespace === undefined || typeof value.namespace === "string");
}
