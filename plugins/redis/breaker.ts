import { isCommandError, isConnectionError } from "./connect.ts";

const WINDOW = 20;

export interface BreakerConfig {
  /** Failures among the last 20 outcomes that open the breaker. */
  failureThreshold: number;
  probeIntervalMs: number;
  /** Resolves when Redis answers again. */
  probe: () => Promise<unknown>;
  /**
   * Runs after a successful probe (reconciliation) and calls `close` itself, so that nothing can
   * slip in between its last step and the breaker closing; a throw keeps the breaker open.
   */
  recover: (close: () => void) => Promise<void>;
  onOpen: (reason: string) => void;
  onClose: (downMs: number) => void;
}

/**
 * Closed: commands go to Redis and their outcomes are counted. Open: nothing goes to Redis; a timer
 * probes it every `probeIntervalMs`, and once it answers (and `recover` succeeded) the breaker
 * closes. A lost connection opens it at once; timeouts and server-state errors by rate; an error
 * Redis replied to one command (a bad argument) never counts: Redis answered.
 */
export class Breaker {
  isOpen = false;
  #config: BreakerConfig;
  #outcomes = new Uint8Array(WINDOW);
  #cursor = 0;
  #failures = 0;
  #openedAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #probing: Promise<void> | undefined;
  #closed = false;

  constructor(config: BreakerConfig) {
    this.#config = config;
  }

  success(): void {
    this.#record(0);
  }

  failure(error: Error): void {
    if (this.isOpen || isCommandError(error)) return;
    this.#record(1);
    if (isConnectionError(error)) this.open(`connection lost: ${error.message}`);
    else if (this.#failures >= this.#config.failureThreshold)
      this.open(`${this.#failures} of the last ${WINDOW} commands failed, last: ${error.message}`);
  }

  open(reason: string): void {
    if (this.isOpen || this.#closed) return;
    this.isOpen = true;
    this.#openedAt = Date.now();
    this.#config.onOpen(reason);
    this.#schedule();
  }

  /** The probe in progress, for close() to wait on. */
  get probing(): Promise<void> | undefined {
    return this.#probing;
  }

  stop(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #record(failed: 0 | 1): void {
    this.#failures += failed - this.#outcomes[this.#cursor]!;
    this.#outcomes[this.#cursor] = failed;
    this.#cursor = (this.#cursor + 1) % WINDOW;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#probing = this.#probe().finally(() => (this.#probing = undefined));
    }, this.#config.probeIntervalMs);
  }

  async #probe(): Promise<void> {
    try {
      await this.#config.probe();
      await this.#config.recover(() => this.#close());
    } catch {
      return this.#schedule();
    }
    this.#close();
  }

  #close(): void {
    if (!this.isOpen || this.#closed) return;
    this.isOpen = false;
    this.#outcomes.fill(0);
    this.#failures = 0;
    this.#config.onClose(Date.now() - this.#openedAt);
  }
}
