import type { Client } from "./connect.ts";

/** Keys of one MGET at most: a larger batch is split, so one reply never grows without bound. */
const MAX_KEYS = 512;

type Run = <T>(command: (client: Client) => Promise<T>) => Promise<T>;

/**
 * GETs issued in the same run of the microtask queue go to Redis as one MGET (a lone one as a GET):
 * concurrent lookups then cost one command, one reply and one pool slot between them instead of a
 * command each, which is most of the client's CPU per hit under load. The batch is sent from a
 * microtask, before the event loop turns, so it adds no latency; auto-pipelining still puts it in the
 * same write as the other commands of that turn. Not for a cluster, where one MGET cannot span slots.
 * One difference from GET: MGET answers nil for a key of another type (a miss) instead of WRONGTYPE.
 */
export class GetBatch {
  #run: Run;
  #keys: string[] = [];
  #resolves: ((raw: string | null) => void)[] = [];
  #rejects: ((error: unknown) => void)[] = [];

  constructor(run: Run) {
    this.#run = run;
  }

  get(key: string): Promise<string | null> {
    if (!this.#keys.length) queueMicrotask(this.#flush);
    else if (this.#keys.length >= MAX_KEYS) this.#flush();
    this.#keys.push(key);
    return new Promise(this.#enqueue);
  }

  /** The executor of every batched GET's promise: one function for all of them, no closure per call. */
  #enqueue = (resolve: (raw: string | null) => void, reject: (error: unknown) => void): void => {
    this.#resolves.push(resolve);
    this.#rejects.push(reject);
  };

  #flush = (): void => {
    const keys = this.#keys;
    if (!keys.length) return;
    const resolves = this.#resolves;
    const rejects = this.#rejects;
    this.#keys = [];
    this.#resolves = [];
    this.#rejects = [];
    const failed = (error: unknown) => {
      for (const reject of rejects) reject(error);
    };
    // Thrown rather than rejected (a client that refuses the call outright), it must still settle every lookup.
    try {
      if (keys.length === 1) this.#run((client) => client.get(keys[0]!)).then(resolves[0], failed);
      else
        this.#run((client) => client.mget(keys)).then((values) => {
          for (let i = 0; i < resolves.length; i++) resolves[i]!(values[i] ?? null);
        }, failed);
    } catch (error) {
      failed(error);
    }
  };
}
