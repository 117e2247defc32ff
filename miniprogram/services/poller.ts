/**
 * The order page's polling policy, kept pure (no `wx`, injectable timers) so that the page, the
 * tests and a benchmark all run the same code.
 *
 * Each poll is a long-poll (`getOrder` with `waitMs`, held by the server until the order changes or
 * 3 s pass). Between polls: none after a change, then 1 s, 2 s, 4 s while nothing changes; failed
 * calls back off on their own ladder up to 8 s, so a broken network never turns into a poll storm.
 * Never more than one call in flight: a poll is only scheduled once the previous one has settled.
 *
 * While an answer streams, the server writes a batch every ~250 ms. The page asks getOrder to
 * gather growing text for up to 3 s (settleMs), and calls start at least MIN_SPACING_MS apart in
 * any case, so a streaming answer costs about one invocation per 3 s (`npm run bench` prints the
 * invocations per 20-second answer).
 */

/**
 * What one poll found. `finished`: the order reached a final state, polling ends. `expecting`:
 * nothing new, but news is due any moment (the payer just paid): poll again without backing off
 * (each call is a long-poll that waits for the news itself).
 */
export type PollResult = 'changed' | 'unchanged' | 'expecting' | 'failed' | 'finished';

/**
 * What a long-poll that did not reach a final state found, as the pages decide it (and the bench,
 * which runs the pages' rule): `changed` when the order moved; otherwise `expecting` while news is
 * due any moment (just paid here, so the confirmation is coming; or the answer is being written, so
 * text is coming), since each call is itself held by the server until the news arrives; `unchanged`
 * when nothing is expected (back off).
 */
export function pollResult(changed: boolean, status: string, justPaid: boolean): 'changed' | 'expecting' | 'unchanged' {
  if (changed) return 'changed';
  if (status === 'pending_payment' && justPaid) return 'expecting';
  if (status === 'paid' || status === 'generating') return 'expecting';
  return 'unchanged';
}

export const IDLE_BACKOFF_MS: readonly number[] = [0, 1_000, 2_000, 4_000];
export const FAILURE_BACKOFF_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000];
/** Least time between the starts of two calls, except the first one and one the user asked for. */
export const MIN_SPACING_MS = 1_000;
/** A bound on one visit's calls (about an hour at the slowest pace); showing the page again starts afresh. */
export const DEFAULT_MAX_CALLS = 600;

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as number),
};

function ladder(steps: readonly number[], index: number): number {
  return steps[Math.min(Math.max(index, 0), steps.length - 1)] ?? 0;
}

/** The pause before the next poll, given how many polls in a row found nothing new or failed. */
export function delayBeforeNextPoll(result: 'changed' | 'unchanged' | 'expecting' | 'failed', unchangedInARow: number, failuresInARow: number): number {
  if (result === 'changed' || result === 'expecting') return ladder(IDLE_BACKOFF_MS, 0);
  if (result === 'failed') return ladder(FAILURE_BACKOFF_MS, failuresInARow - 1);
  return ladder(IDLE_BACKOFF_MS, unchangedInARow);
}

export interface PollerOptions {
  timers?: Timers;
  /** The clock the spacing is measured with (ms). */
  now?: () => number;
  maxCalls?: number;
  minSpacingMs?: number;
}

let timersOverride: Timers | null = null;

/** Replaces the timers of every poller (and live stream) made after it (tests: a faster clock); `null` goes back to the real ones. */
export function setPollTimers(timers: Timers | null): void {
  timersOverride = timers;
}

/** The timers a poller or stream made now uses. */
export function pollTimers(): Timers {
  return timersOverride ?? realTimers;
}

export class Poller {
  private active = false;
  private inFlight = false;
  private timer: unknown = null;
  private unchangedInARow = 0;
  private failuresInARow = 0;
  private callsThisRun = 0;
  private lastStartAt = -Infinity;
  /** hurry() was asked while a call was in flight: the next call follows it at once. */
  private hurried = false;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly maxCalls: number;
  private readonly minSpacingMs: number;
  /** Every call made, for tests and benchmarks. */
  calls = 0;

  constructor(
    private readonly poll: () => Promise<PollResult>,
    options: PollerOptions = {},
  ) {
    this.timers = options.timers ?? timersOverride ?? realTimers;
    this.now = options.now ?? Date.now;
    this.maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
    this.minSpacingMs = options.minSpacingMs ?? MIN_SPACING_MS;
  }

  get running(): boolean {
    return this.active;
  }

  get busy(): boolean {
    return this.inFlight;
  }

  /** Starts polling now; a no-op when already running. A call still in flight is waited for, not doubled. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.callsThisRun = 0;
    this.unchangedInARow = 0;
    this.failuresInARow = 0;
    if (!this.inFlight) this.schedule(0);
  }

  /** Stops scheduling; a call in flight may still settle, but nothing follows it. */
  stop(): void {
    this.active = false;
    this.cancelTimer();
  }

  /** Something happened that makes a change likely (the user paid again): poll again at once. */
  hurry(): void {
    this.unchangedInARow = 0;
    this.failuresInARow = 0;
    if (!this.active) {
      this.start();
      return;
    }
    if (this.inFlight) {
      this.hurried = true;
      return;
    }
    this.cancelTimer();
    this.schedule(0);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.runOnce();
    }, ms);
  }

  private async runOnce(): Promise<void> {
    if (!this.active || this.inFlight) return;
    if (this.callsThisRun >= this.maxCalls) {
      this.active = false;
      return;
    }
    this.inFlight = true;
    this.lastStartAt = this.now();
    this.calls += 1;
    this.callsThisRun += 1;
    let result: PollResult;
    try {
      result = await this.poll();
    } catch {
      result = 'failed';
    } finally {
      this.inFlight = false;
    }
    if (result === 'finished') {
      this.active = false;
      this.cancelTimer();
      return;
    }
    if (!this.active) return;
    if (result === 'changed' || result === 'expecting') {
      this.unchangedInARow = 0;
      this.failuresInARow = 0;
    } else if (result === 'failed') {
      this.failuresInARow += 1;
    } else {
      this.unchangedInARow += 1;
      this.failuresInARow = 0;
    }
    const backoff = delayBeforeNextPoll(result, this.unchangedInARow, this.failuresInARow);
    const spacing = this.minSpacingMs - (this.now() - this.lastStartAt);
    const hurried = this.hurried;
    this.hurried = false;
    this.schedule(hurried ? 0 : Math.max(backoff, spacing, 0));
  }
}
