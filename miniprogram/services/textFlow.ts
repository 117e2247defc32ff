/**
 * How the order page turns long-poll answers into text that flows. Pure (no `wx`, injectable
 * clock and timers) so that the page, the tests and `npm run bench` run the same code.
 *
 * The trade-off: one function invocation per ~3 s (getOrder gathers the text written meanwhile,
 * `settleMs`) keeps a 20-second answer under 10 invocations, but would show the text in 3-second
 * jumps. So the page does not show an answer's text the moment it arrives: it reveals the text it
 * holds ("typewriter"), a visible step every TICK_MS. The pace follows what is held: a HOLD_MS
 * share of it per tick, so much held text goes quickly and the last of it slowly. That bridges
 * waits longer than a long-poll, which content security makes common: text reaches the page in
 * checked pieces that double in size (120, 240, 480… characters), so the next piece can be ten
 * seconds away, and an even pace would run dry long before it. The reveal is paced, not live: the
 * text on screen trails the model by a few seconds. `npm run bench` prints the largest gap between
 * visible updates, that lag, and the invocations.
 */
import type { ClientOrder, GetOrderInput } from './types';
import { realTimers, type Timers } from './poller';

/** How long getOrder may hold a call, and gather growing text: the server caps it at 3 s, well inside the ~5 s window. */
export const LONG_POLL_WAIT_MS = 3_000;
/** One visible step of the reveal. */
export const TICK_MS = 300;
/**
 * While more text may come, what is held is shown at `held / HOLD_MS` characters per ms (at least
 * one character a tick): 120 characters held last about ten seconds, most of them in the first few.
 */
export const HOLD_MS = 3_000;
/** Once the answer is complete, what is still held back is shown within this long. */
export const FINISH_WITHIN_MS = 900;

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
  holdMs?: number;
  finishWithinMs?: number;
}

let paceOverride: RevealOptions = {};

/** Replaces the reveal's pace for every page (tests: a faster clock); `{}` goes back to the defaults. */
export function setRevealPace(options: RevealOptions): void {
  paceOverride = options;
}

/**
 * Reveals text that arrives in chunks at a pace that follows what is held. `receive()` hands it everything the server
 * has so far; `onShow` is called with the text to display, at most once per tick.
 */
export class Reveal {
  private target = '';
  private shown = 0;
  /** No more text will come: what is held is shown within finishWithinMs, at an even pace. */
  private complete = false;
  /** Characters per millisecond while finishing. */
  private finishRate = 0;
  private carry = 0;
  private lastTickAt = 0;
  private timer: unknown = null;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly holdMs: number;
  private readonly finishWithinMs: number;

  constructor(
    private readonly onShow: (text: string) => void,
    given: RevealOptions = {},
  ) {
    const options = { ...paceOverride, ...given };
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? TICK_MS;
    this.holdMs = options.holdMs ?? HOLD_MS;
    this.finishWithinMs = options.finishWithinMs ?? FINISH_WITHIN_MS;
  }

  /** The text on screen now. */
  get text(): string {
    return this.target.slice(0, this.shown);
  }

  /** True while text is held back. */
  get revealing(): boolean {
    return this.shown < this.target.length;
  }

  /**
   * Everything the server has written so far. `complete`: no more will come, so the rest is shown
   * quickly. `instant`: show it all now (a page opened on an order already written, a final state).
   */
  receive(text: string, complete: boolean, instant = false): void {
    // A restarted generation replaces the text (or clears it, when an answer is withdrawn): what is on
    // screen goes at once, and two answers are never glued together.
    if (!text.startsWith(this.text)) {
      this.stop();
      this.shown = 0;
      this.onShow('');
    }
    this.target = text;
    if (instant) {
      this.stop();
      this.shown = text.length;
      this.onShow(text);
      return;
    }
    const held = this.target.length - this.shown;
    // Complete: whatever is held now is shown within finishWithinMs, at an even pace.
    if (complete && held > 0) this.finishRate = held / this.finishWithinMs;
    this.complete = complete;
    if (held <= 0) return;
    if (this.timer === null) {
      this.carry = 0;
      // The first words go on screen at once (one step's worth): the wait for them was the longest.
      if (this.shown === 0) {
        this.lastTickAt = this.now() - this.tickMs;
        this.tick();
      } else {
        this.lastTickAt = this.now();
        this.schedule();
      }
    }
  }

  /** Stops revealing (the page is hidden or closed); what was shown stays. */
  stop(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.timers.set(() => {
      this.timer = null;
      this.tick();
    }, this.tickMs);
  }

  private tick(): void {
    const at = this.now();
    const held = this.target.length - this.shown;
    const rate = this.complete ? this.finishRate : held / this.holdMs;
    this.carry += (at - this.lastTickAt) * rate;
    this.lastTickAt = at;
    // At least one character per tick while any is held, so that every tick is a visible step.
    const step = Math.max(1, Math.floor(this.carry));
    this.carry = Math.max(0, this.carry - step);
    const next = safeCut(this.target, this.shown + step);
    const advanced = next > this.shown ? next : safeCut(this.target, this.shown + 2);
    this.shown = advanced;
    this.onShow(this.text);
    if (this.revealing) this.schedule();
  }
}
