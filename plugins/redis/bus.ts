import type { Invalidation } from "../../src/index.ts";
import type { Client } from "./connect.ts";
import { Presence } from "./presence.ts";

/** How often the number of listeners is counted again (PUBSUB NUMSUB). */
const RECOUNT_MS = 1_000;

export interface BusConfig {
  subscriber: Client;
  channel: string;
  /** Publishes on a pooled connection (auto-pipelined with the write it follows). */
  publish: (channel: string, message: string) => Promise<unknown>;
  /**
   * How many listen and how to say hello, off the pool's accounting. Absent where the count is not
   * global (a cluster counts per node): then every invalidation is published.
   */
  presence?: {
    /** Subscribers of the channel, this process included (PUBSUB NUMSUB). */
    subscribers: (channel: string) => Promise<number>;
    announce: (channel: string, message: string) => Promise<unknown>;
  };
  /** An invalidation from another process. */
  onRemote: (invalidation: Invalidation) => void;
  /** The subscription was lost and is back: messages may have been missed meanwhile. */
  onResync: () => void;
}

/**
 * Multi-instance coherence over Redis pub/sub: every write, delete, tag invalidation or clear is
 * published with this process's origin id; the other processes apply it to their faster layers.
 * A process alone on the channel publishes nothing (see Presence), and its own echo is recognized
 * by its first characters, without parsing it.
 */
export function invalidationBus(config: BusConfig) {
  const origin = crypto.randomUUID();
  const ownPrefix = `{"o":${JSON.stringify(origin)}`;
  const { subscriber, channel } = config;
  const presence = new Presence();
  let listening = false;
  const send = (message: object) => config.publish(channel, JSON.stringify({ o: origin, ...message }));

  /** Subscribes (again), then says hello, so processes that stayed silent publish what this one may have missed. */
  const join = () =>
    subscriber.subscribe(channel).then(
      () => {
        listening = true;
        config.presence?.announce(channel, JSON.stringify({ o: origin, h: 1 })).catch(() => {});
        recount();
      },
      () => {},
    );
  const recount = () => {
    if (!config.presence) return;
    const askedAt = performance.now();
    config.presence.subscribers(channel).then(
      (count) => presence.counted(listening ? count - 1 : count, askedAt),
      () => presence.counted(undefined),
    );
  };
  const recounting = setInterval(recount, RECOUNT_MS);
  recounting.unref?.();

  // Every connection after the first is a resync, even when the first SUBSCRIBE had not been
  // acknowledged yet; meanwhile the command connections report the outage.
  let connectedOnce = false;
  subscriber.on("error", () => {});
  subscriber.on("close", () => (listening = false));
  subscriber.on("ready", () => {
    if (connectedOnce) {
      config.onResync();
      join();
    }
    connectedOnce = true;
  });
  let closed = () => {};
  // Settled by close() too: ioredis keeps a SUBSCRIBE queued for a Redis it never reached even after disconnect().
  const subscribed = Promise.race([join(), new Promise<void>((resolve) => (closed = resolve))]);
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel || message.startsWith(ownPrefix)) return;
    let parsed: { o?: unknown; i?: Invalidation; h?: unknown };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (parsed.o === origin) return;
    if (parsed.h !== undefined) {
      for (const invalidation of presence.joined()) send({ i: invalidation }).catch(() => {});
      return;
    }
    presence.heard();
    if (parsed.i && isInvalidation(parsed.i)) config.onRemote(parsed.i);
  });
  return {
    origin,
    /** Resolves once the first subscription attempt settled. */
    subscribed,
    /** No other process listens on the channel (always false where presence is not tracked). */
    alone: (): boolean => presence.alone,
    /** Other processes known to listen on the channel; undefined while not counted (or not tracked). */
    peers: (): number | undefined => presence.others,
    /** Publishes an invalidation, unless no other process listens (then nothing is sent: undefined). */
    publish(invalidation: Invalidation): Promise<unknown> | undefined {
      if (presence.alone) return void presence.unpublished(invalidation);
      return send({ i: invalidation });
    },
    close(): void {
      clearInterval(recounting);
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
