import type { Timers } from '../../miniprogram/services/poller';

/** A virtual clock for the page services' timers: the test decides when time passes, so paces are checked exactly, not timed. */
export class VirtualTimers implements Timers {
  now = 0;
  private pending: Array<{ at: number; callback: () => void; handle: number }> = [];
  private nextHandle = 1;

  set(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.pending.push({ at: this.now + ms, callback, handle });
    return handle;
  }

  clear(handle: unknown): void {
    this.pending = this.pending.filter((timer) => timer.handle !== handle);
  }

  get scheduled(): number[] {
    return this.pending.map((timer) => timer.at - this.now);
  }

  /** Runs the next timer (advancing the clock to it) and lets the poll it starts settle. */
  async fireNext(): Promise<number> {
    const timer = this.takeNext();
    if (!timer) throw new Error('nothing is scheduled');
    const waited = timer.at - this.now;
    this.now = timer.at;
    timer.callback();
    await new Promise((resolve) => setImmediate(resolve));
    return waited;
  }

  /** Runs every timer due up to `at`, in order (synchronous callbacks only), then sets the clock to `at`. */
  runUntil(at: number): void {
    for (let timer = this.takeNext(at); timer; timer = this.takeNext(at)) {
      this.now = timer.at;
      timer.callback();
    }
    this.now = at;
  }

  private takeNext(notAfter = Infinity): { at: number; callback: () => void } | undefined {
    this.pending.sort((a, b) => a.at - b.at);
    const next = this.pending[0];
    if (!next || next.at > notAfter) return undefined;
    this.pending.shift();
    return next;
  }
}
