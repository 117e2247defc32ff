/** Renews the attempt's lease, with the output when it changed; false when the lease is no longer held. */
export type RenewLease = (output?: string) => Promise<boolean>;

/**
 * Output is written in batches (not one write per token): at most every this many ms… With content
 * security on, text arrives here only as checked pieces (about one per `CONTENT_CHECK_PIECE_WAIT_MS`
 * plus a check), so most pieces are written as soon as they pass.
 */
export const FLUSH_INTERVAL_MS = 500;
/** …or sooner once this many characters are waiting. */
export const FLUSH_CHARS = 400;

/**
 * Writes a generation's growing output to its order in batches, only while this attempt holds
 * the order's lease; each write renews the lease. Writes are serialised.
 */
export class OutputWriter {
  private latest = '';
  private written = '';
  private lastFlushAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  leaseLost = false;

  constructor(
    private readonly renew: RenewLease,
    private readonly now: () => number,
    /** The lease's heartbeat (`heartbeatMs` of the configured lease). */
    private readonly heartbeatEveryMs: number,
  ) {}

  update(text: string): void {
    this.latest = text;
    const waiting = this.latest.length - this.written.length;
    const sinceLast = this.now() - this.lastFlushAt;
    if (sinceLast >= FLUSH_INTERVAL_MS || waiting >= FLUSH_CHARS) this.flush();
    // Written when the interval since the last write is over, not a whole interval from now.
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS - sinceLast);
  }

  /** The answer restarts with another model: the page must drop what it showed. */
  reset(): void {
    this.latest = '';
    this.flush();
  }

  /**
   * Renews the lease even when no text arrives (waiting for a first token). A write within the
   * last heartbeat period renewed it already, so none is made then: the lease (three periods) is
   * still renewed at least every two.
   */
  heartbeat(): void {
    if (this.lastFlushAt > 0 && this.now() - this.lastFlushAt < this.heartbeatEveryMs) return;
    this.flush(true);
  }

  /**
   * Queues a write behind the ones before it and returns at once: writes are awaited as a chain
   * by close(), and the chain never rejects (a failed write counts as a lost lease).
   */
  private flush(force = false): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const text = this.latest;
    if (!force && text === this.written) return;
    this.lastFlushAt = this.now();
    this.chain = this.chain.then(async () => {
      if (this.leaseLost) return;
      const output = text !== this.written ? text : undefined;
      const write = () => this.renew(output);
      try {
        // One failed write (a passing store error) is tried again before the answer is given up.
        const held = await write().catch(write);
        if (!held) this.leaseLost = true;
        else this.written = text;
      } catch {
        // The store is out of reach for this worker (or it was stopped): act as if the lease is gone.
        this.leaseLost = true;
      }
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain;
  }
}
