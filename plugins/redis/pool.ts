import type { Redis } from "ioredis";
import { Cluster, type Client } from "./connect.ts";

interface Slot {
  client: Client;
  inFlight: number;
}

/** A change waiting for room on the writer connection. */
interface QueuedChange {
  command: (client: Client) => Promise<unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

export interface PoolConfig {
  clients: Client[];
  maxInFlightPerConnection: number;
  exhaustedAfterMs: number;
  connectTimeoutMs: number;
  retries: number;
  /** Every connection stayed full for `exhaustedAfterMs`. */
  onExhausted: (info: { connections: number; queued: number; ms: number }) => void;
}

/**
 * ioredis has no pool: this is one. N connections, auto-pipelined while the pool is busy. A read goes
 * to the least busy ready connection and is retried once more when it timed out; every change goes
 * to one writer connection, in order. A command waits in a queue only when the connection it needs
 * has `maxInFlightPerConnection` commands out.
 */
export class Pool {
  readonly clients: readonly Client[];
  #slots: Slot[];
  /** Reads waiting for room on any connection. */
  #queue: (() => void)[] = [];
  /** Changes waiting for room on the writer, first in first out: none overtakes another. */
  #changes: QueuedChange[] = [];
  #writerSlot: Slot | undefined;
  #config: PoolConfig;
  #inFlight = 0;
  #fullSince = 0;
  #exhausted = false;
  #ready: Promise<void> | undefined;
  #everReady = false;

  constructor(config: PoolConfig) {
    this.#config = config;
    this.clients = config.clients;
    this.#slots = config.clients.map((client) => ({ client, inFlight: 0 }));
    // Failures reach callers as rejected commands and the breaker; an unheard "error" event would only be printed by ioredis.
    for (const client of config.clients) client.on("error", () => {});
    this.#ready = this.#firstReady();
  }

  /** Runs a read on the least busy connection; retries it when it timed out. */
  run<T>(command: (client: Client) => Promise<T>, attempt = 0): Promise<T> {
    if (!this.#everReady) return this.#ready!.then(() => this.run(command, attempt));
    const slot = this.#pick();
    if (slot.inFlight >= this.#config.maxInFlightPerConnection) return this.#wait().then(() => this.run(command, attempt));
    return this.#send(slot, command).catch((error: Error) => {
      if (attempt < this.#config.retries && error.message === "Command timed out") return this.run(command, attempt + 1);
      throw error;
    });
  }

  /**
   * Runs a change on the writer connection: changes then reach Redis in the order they were issued,
   * so a write or delete of a key never lands before an earlier one, as it could from two
   * connections' pipelines flushed in one turn. A change waits behind every change queued before it
   * (before the first connection is up, or while the writer is full). Not retried: a retry of a
   * change that timed out (Redis may still apply it) could land after a newer one.
   */
  write<T>(command: (client: Client) => Promise<T>): Promise<T> {
    if (!this.#everReady || this.#changes.length || this.#writer().inFlight >= this.#config.maxInFlightPerConnection)
      return new Promise<T>((resolve, reject) =>
        this.#changes.push({ command, resolve: resolve as (result: unknown) => void, reject }),
      );
    return this.#send(this.#writer(), command);
  }

  /** Sends queued changes, oldest first, while the writer has room. */
  #sendChanges(): void {
    while (this.#changes.length && this.#writer().inFlight < this.#config.maxInFlightPerConnection) {
      const change = this.#changes.shift()!;
      this.#send(this.#writer(), change.command).then(change.resolve, change.reject);
    }
  }

  #send<T>(slot: Slot, command: (client: Client) => Promise<T>): Promise<T> {
    slot.inFlight++;
    this.#inFlight++;
    // Auto-pipelining batches the commands of one tick into one write but holds each back for a turn
    // of the event loop (setImmediate): worth it only while the pool has other commands out.
    slot.client.options.enableAutoPipelining = this.#inFlight > 1;
    return command(slot.client).then(
      (result) => {
        this.#release(slot);
        return result;
      },
      (error: Error) => {
        this.#release(slot);
        throw error;
      },
    );
  }

  /** Runs a rare housekeeping command (the bus's listener count) on a connection, outside the in-flight accounting. */
  untracked<T>(command: (client: Client) => Promise<T>): Promise<T> {
    return command(this.#pick().client);
  }

  /**
   * PING every connection that is up (one still connecting or reconnecting would only fail fast);
   * resolves with the slowest round trip, rejects when one fails or none is up.
   */
  async ping(): Promise<number> {
    const started = performance.now();
    const ready = this.clients.filter((client) => client.status === "ready");
    if (!ready.length) throw new Error(`none of the ${this.clients.length} connections is up (${this.clients[0]!.status})`);
    await Promise.all(ready.map((client) => client.ping()));
    return performance.now() - started;
  }

  /** The nodes that hold keys, seen from one pooled client: that server, or every master of a cluster (for SCAN). */
  static nodesOf(client: Client): Redis[] {
    return client instanceof Cluster ? client.nodes("master") : [client];
  }

  stats() {
    this.#checkExhausted();
    return {
      connections: this.#slots.length,
      open: this.clients.filter((client) => client.status === "ready").length,
      busy: this.#slots.filter((slot) => slot.inFlight > 0).length,
      inFlight: this.#inFlight,
      queued: this.#queue.length + this.#changes.length,
      exhausted: this.#exhausted,
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.clients.map((client) => client.quit()));
    for (const client of this.clients) client.disconnect();
  }

  /** Least in flight among ready connections; any connection when none is ready (it fails fast). */
  #pick(): Slot {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.client.status !== "ready") continue;
      if (!best || slot.inFlight < best.inFlight) best = slot;
      if (best.inFlight === 0) break;
    }
    return best ?? this.#slots[0]!;
  }

  /**
   * The writer: the same connection while it stays up (moving back to another one that reconnected
   * could let a change overtake those still out on this one); the first ready one once it is down;
   * the first when none is (it fails fast).
   */
  #writer(): Slot {
    const current = this.#writerSlot;
    if (current?.client.status === "ready") return current;
    this.#writerSlot = this.#slots.find((slot) => slot.client.status === "ready") ?? current ?? this.#slots[0]!;
    return this.#writerSlot;
  }

  #wait(): Promise<void> {
    if (!this.#fullSince) this.#fullSince = performance.now();
    this.#checkExhausted();
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  #release(slot: Slot): void {
    slot.inFlight--;
    this.#inFlight--;
    if (this.#changes.length) this.#sendChanges();
    const next = this.#queue.shift();
    if (next) return next();
    this.#fullSince = 0;
    this.#exhausted = false;
  }

  #checkExhausted(): void {
    if (this.#exhausted || !this.#fullSince || !this.#queue.length) return;
    const ms = performance.now() - this.#fullSince;
    if (ms < this.#config.exhaustedAfterMs) return;
    this.#exhausted = true;
    this.#config.onExhausted({ connections: this.#slots.length, queued: this.#queue.length, ms: Math.round(ms) });
  }

  /** Commands before the first connection is up wait for it (bounded by the connect timeout) instead of failing. */
  async #firstReady(): Promise<void> {
    const anyReady = new Promise<void>((resolve) => {
      for (const client of this.clients) {
        if (client.status === "ready") resolve();
        client.once("ready", () => resolve());
      }
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#config.connectTimeoutMs)));
    await Promise.race([anyReady, timeout]);
    clearTimeout(timer);
    this.#everReady = true;
    this.#ready = undefined;
    this.#sendChanges();
  }
}
