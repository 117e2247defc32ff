/**
 * How the order page turns the text it receives into text on screen. Pure (no `wx`, injectable
 * clock and timers) so that the page, the tests and `npm run bench` run the same code.
 *
 * Text the page has is on screen at once: a piece that arrives is shown within SMOOTH_MS (300 ms),
 * the first words of it immediately, the rest in a few even steps so that a large piece does not
 * jump in all at once. Nothing is held back to bridge the waits between pieces: the stream
 * (services/stream.ts) brings text as soon as the server has it, and the long-poll fallback as
 * soon as its call returns.
 */
import type { ClientOrder, GetOrderInput } from './types';
import { realTimers, type Timers } from './poller';

/** How long getOrder may hold a call, and gather growing text: the server caps it at 3 s, well inside the ~5 s window. */
export const LONG_POLL_WAIT_MS = 3_000;
/** One visible step while a piece is being smoothed in. */
export const TICK_MS = 100;
/** Every piece of text is wholly on screen at most this long after it reached the page. */
export const SMOOTH_MS = 300;

/** The getOrder call the order page makes, given what it shows already. */
export function longPollInput(orderId: string, known: ClientOrder | null, justPaid: boolean): GetOrderInput {
  if (known) {
    return {
      orderId,
      waitMs: LONG_POLL_WAIT_MS,
      settleMs: LONG_POLL_WAIT_MS,
      knownRev: known.rev,
      knownStatus: known.status,
      knownChars: known.output.length,
    };
  }
  // Just paid: nothing to show but "confirming" yet, so the first call may already wait for news.
  return justPaid ? { orderId, waitMs: LONG_POLL_WAIT_MS, settleMs: LONG_POLL_WAIT_MS } : { orderId };
}

/**
 * Whether text is shown at once rather than revealed: only what is already written when the page
 * opens on an order (a reload, history, a subscribe message). Right after paying, even the first
 * text flows in, or the page would jump and then wait for the next long-poll.
 */
export function showAtOnce(firstSight: boolean, justPaid: boolean): boolean {
  return firstSight && !justPaid;
}

/** The end of the first `count` UTF-16 units, moved back so that no surrogate pair is split. */
function safeCut(text: string, count: number): number {
  if (count <= 0) return 0;
  if (count >= text.length) return text.length;
  const code = text.charCodeAt(count - 1);
  return code >= 0xd800 && code <= 0xdbff ? count - 1 : count;
}

export interface RevealOptions {
  timers?: Timers;
  now?: () => number;
  tickMs?: number;
  smoothMs?: number;
}

let paceOverride: RevealOptions = {};

/** Replaces the reveal's pace for every page (tests: a faster clock); `{}` goes back to the defaults. */
export function setRevealPace(options: RevealOptions): void {
  paceOverride = options;
}

/**
 * Shows text that arrives in pieces: `receive()` hands it everything the server has so far;
 * `onShow` is called with the text to display. Each piece is on screen within `smoothMs`.
 */
export class Reveal {
  private target = '';
  private shown = 0;
  /** When what is held now must be on screen in full. */
  private deadline = 0;
  private timer: unknown = null;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly smoothMs: number;

  constructor(
    private readonly onShow: (text: string) => void,
    given: RevealOptions = {},
  ) {
    const options = { ...paceOverride, ...given };
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? TICK_MS;
    this.smoothMs = options.smoothMs ?? SMOOTH_MS;
  }

  /** The text on screen now. */
  get text(): string {
    return this.target.slice(0, this.shown);
  }

  /** True while part of a piece is still being smoothed in (at most `smoothMs`). */
  get revealing(): boolean {
    return this.shown < this.target.length;
  }

  /**
   * Everything the server has written so far; a complete answer is shown like any piece, within
   * `smoothMs`. `instant`: show it all now (a page opened on an order already written, a final state).
   */
  receive(text: string, instant = false): void {
    // A restarted generation replaces the text (or clears it, when an answer is withdrawn): what is on
    // screen goes at once, and two answers are never glued together.
    const restarted = !text.startsWith(this.text);
    if (restarted) {
      this.stop();
      this.shown = 0;
      this.onShow('');
    }
    const grew = restarted || text.length > this.target.length;
    this.target = text;
    if (instant || this.smoothMs <= 0) {
      this.stop();
      this.shown = text.length;
      this.onShow(text);
      return;
    }
    if (!grew || !this.revealing) return;
    this.deadline = this.now() + this.smoothMs;
    if (this.timer === null) this.tick();
  }

  /** Stops smoothing (the page is hidden or closed); what was shown stays. */
  stop(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private tick(): void {
    this.timer = null;
    const left = this.deadline - this.now();
    const held = this.target.length - this.shown;
    // An even share of what is held for each tick left before the deadline; all of it at the deadline.
    const ticksLeft = Math.max(1, Math.ceil(left / this.tickMs));
    const step = left <= 0 ? held : Math.max(1, Math.ceil(held / ticksLeft));
    const next = safeCut(this.target, this.shown + step);
    // A step of one unit that would split a surrogate pair takes the whole character.
    this.shown = next > this.shown ? next : Math.min(this.target.length, this.shown + 2);
    this.onShow(this.text);
    if (this.revealing) this.timer = this.timers.set(() => this.tick(), this.tickMs);
  }
}
