import type { Clock } from '../../core/clock';

interface Timer {
  at: number;
  seq: number;
  /** A test's own scheduled step may be async: the clock waits for it before moving on. */
  fire: () => void | Promise<void>;
}

/** Lets promise reactions and pending I/O callbacks run (the store and the model server are real). */
const yieldToIo = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/**
 * A clock for the in-process tests: time stands still until a test moves it, and every wait of the
 * code under test (`sleep`, `after`) ends when the virtual time reaches it, in order. So a 3 s
 * long-poll or a 30 s breaker cool-down takes no real time, and a deadline fires exactly when the
 * test says the time has come.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  /** Starts at a fixed moment (2030-01-01T02:00:00Z, 10:00 in Beijing) so that runs are alike. */
  constructor(start = Date.UTC(2030, 0, 1, 2, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, onTime: () => void): () => void {
    const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fire: onTime };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** A step of the test at a virtual moment (a write that lands while the code under test waits). */
  at(ms: number, step: () => Promise<void>): void {
    this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, fire: step });
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** How many waits are pending. */
  get waiting(): number {
    return this.timers.length;
  }

  /** Moves the time forward by `ms`, firing every wait that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      await next.fire();
      await yieldToIo();
    }
    this.current = target;
    await yieldToIo();
  }

  /**
   * Runs `work` to its end, moving the time to the next pending wait whenever the code is waiting
   * on the clock alone (no timer pending means it is still busy with the store: let it). Only for
   * work whose waits are all on this clock (a long-poll, reconcile): a model request in flight would
   * see its deadline fire early.
   */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => {
      settled = true;
    });
    // Keeps an early rejection from counting as unhandled while the loop below is still running.
    done.catch(() => undefined);
    while (!settled) {
      const next = this.earliest();
      if (next) await this.advance(next.at - this.current);
      else await yieldToIo();
    }
    return done;
  }

  private earliest(): Timer | undefined {
    let found: Timer | undefined;
    for (const timer of this.timers) if (!found || timer.at < found.at || (timer.at === found.at && timer.seq < found.seq)) found = timer;
    return found;
  }
}
