import { isHighSurrogate } from '../unicode';
import { worthAskingAgain, type TextCheck, type Verdict } from './contentSecurity';

/**
 * The gate between a streaming answer and the page: text reaches the order's visible output only
 * after it passed `security.msgSecCheck`, piece by piece, as it grows (docs/COMPLIANCE.md,
 * "Checking an answer while it streams").
 *
 * - Pieces start small, so the first words show soon, and double up to `maxSegmentChars`, so a
 *   long answer costs few checks: 120, 240, 480, 800, 800, … characters by default.
 * - No text waits longer than `pieceWaitMs` for its piece to fill: a model that writes slower than
 *   the pieces grow has whatever arrived checked after that wait. Text on the page then trails the
 *   model by about the wait plus one check, at the cost of about one check per wait while it
 *   writes (docs/COMPLIANCE.md, "The trade-off").
 * - Each check also sees `overlapChars` of the text before its piece (already checked), so a
 *   phrase cut in two by a boundary is still seen whole once.
 * - A piece ends at a natural break (line, sentence, clause, space) in its last 30 % when there is
 *   one, never inside a surrogate pair.
 * - One check runs at a time; the model keeps streaming meanwhile and the next piece is taken from
 *   whatever has arrived. The user never sees text that was not checked.
 * - Once a piece is refused (or cannot be checked), nothing more is shown or checked.
 */

export interface SegmentPolicy {
  firstSegmentChars: number;
  maxSegmentChars: number;
  overlapChars: number;
  /** The longest text waits for its piece to fill before what arrived is checked; 0: pieces are cut by size only. */
  pieceWaitMs?: number;
}

/** The gate's clock and timers (real ones in generate; tests pass their own). */
export interface GateClock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realGateClock: GateClock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What stops text: a reason, or null when it may be shown (see contentSecurity.stopReason). */
export type StopRule = (verdict: Verdict) => 'refused' | 'unchecked' | null;

export type GateResult =
  | { ok: true; checks: number }
  | { ok: false; stop: 'refused' | 'unchecked'; verdict: Verdict; checks: number };

const BREAKS = new Set(['\n', '。', '！', '？', '；', '，', '、', '.', '!', '?', ';', ',', ' ', '\t']);
/** A piece may end this much before its full size, to end at a break. */
const BREAK_SEARCH = 0.3;

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The size of the n-th piece (0-based): the first size, doubled each time, up to the maximum. */
export function segmentSize(policy: SegmentPolicy, index: number): number {
  return Math.min(policy.maxSegmentChars, policy.firstSegmentChars * 2 ** Math.min(index, 20));
}

/**
 * Where the piece that starts at `from` ends, or null when not enough text has arrived yet (a
 * final piece takes whatever is left).
 */
export function pieceEnd(text: string, from: number, size: number, final: boolean): number | null {
  const available = text.length - from;
  if (available <= 0) return null;
  if (available <= size) return final ? text.length : null;
  return endAtBreak(text, from, from + size);
}

/**
 * A piece from `from` that may end at `end`: it ends at the last break in its last 30 % when there is
 * one (a word is not split when it need not be), and never inside a surrogate pair.
 */
function endAtBreak(text: string, from: number, end: number): number {
  let at = end;
  const earliest = from + Math.ceil((end - from) * (1 - BREAK_SEARCH));
  for (let candidate = end; candidate > earliest; candidate -= 1) {
    if (BREAKS.has(text[candidate - 1] as string)) {
      at = candidate;
      break;
    }
  }
  if (isHighSurrogate(text.charCodeAt(at - 1)) && at - 1 > from) at -= 1;
  return at;
}

/** Where a piece cut by time ends: everything that arrived, at a break when there is one near its end. */
export function waitedPieceEnd(text: string, from: number): number | null {
  return text.length > from ? endAtBreak(text, from, text.length) : null;
}

/** Where the checked text for a piece starts: `overlap` characters earlier, never inside a surrogate pair. */
export function windowStart(text: string, from: number, overlap: number): number {
  let start = Math.max(0, from - overlap);
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start -= 1;
  return start;
}

export interface AnswerGate {
  /** The current attempt's text so far (it only grows within an attempt). */
  update(text: string): void;
  /** The answer restarts with another model: what was shown is dropped by the caller. */
  reset(): void;
  /** The model finished with `text`: checks what is left and says whether all of it may stand. */
  finish(text: string): Promise<GateResult>;
  /** The answer failed: forget it (a check still running changes nothing). */
  abandon(): void;
}

/** Content security switched off: everything is shown as it comes. */
export function openGate(show: (text: string) => void): AnswerGate {
  return {
    update: show,
    reset: () => undefined,
    finish: async (text) => {
      show(text);
      return { ok: true, checks: 0 };
    },
    abandon: () => undefined,
  };
}

export class CheckedGate implements AnswerGate {
  private latest = '';
  /** How much of `latest` passed and was shown. */
  private released = 0;
  private passedPieces = 0;
  private finishing = false;
  private running: Promise<void> | null = null;
  private epoch = 0;
  private stopped: { stop: 'refused' | 'unchecked'; verdict: Verdict } | null = null;
  /** The end of the piece under check (null: none is). */
  private inFlightEnd: number | null = null;
  /** Since when text beyond the piece under check (or beyond what was released) has been waiting; null: none is. */
  private waitingSince: number | null = null;
  private waitTimer: unknown = null;
  checks = 0;

  constructor(
    private readonly check: TextCheck,
    private readonly show: (text: string) => void,
    private readonly policy: SegmentPolicy,
    private readonly stopRule: StopRule,
    private readonly clock: GateClock = realGateClock,
  ) {}

  update(text: string): void {
    this.latest = text;
    if (this.waitingSince === null && text.length > (this.inFlightEnd ?? this.released)) this.waitingSince = this.clock.now();
    this.kick();
  }

  reset(): void {
    this.epoch += 1;
    this.latest = '';
    this.released = 0;
    this.passedPieces = 0;
    this.running = null;
    this.stopped = null;
    this.clearWait();
    this.waitingSince = null;
    this.inFlightEnd = null;
  }

  abandon(): void {
    this.reset();
    this.clearWait();
    this.stopped = { stop: 'unchecked', verdict: { outcome: 'unavailable', reason: 'the answer was abandoned' } };
  }

  async finish(text: string): Promise<GateResult> {
    if (!text.startsWith(this.latest.slice(0, this.released))) {
      // Not the text that was streamed (it should always be): check the whole answer again.
      this.reset();
    }
    this.latest = text;
    this.finishing = true;
    this.clearWait();
    this.kick();
    while (this.running) await this.running;
    if (this.stopped) return { ok: false, ...this.stopped, checks: this.checks };
    if (this.released < this.latest.length) {
      return { ok: false, stop: 'unchecked', verdict: { outcome: 'unavailable', reason: 'part of the answer was never checked' }, checks: this.checks };
    }
    return { ok: true, checks: this.checks };
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    const from = this.released;
    let end = pieceEnd(this.latest, from, segmentSize(this.policy, this.passedPieces), this.finishing);
    const waitMs = this.policy.pieceWaitMs ?? 0;
    if (end === null && waitMs > 0 && this.waitingSince !== null) {
      const waited = this.clock.now() - this.waitingSince;
      if (waited >= waitMs) end = waitedPieceEnd(this.latest, from);
      else {
        this.waitTimer ??= this.clock.setTimer(() => {
          this.waitTimer = null;
          this.kick();
        }, waitMs - waited);
        return;
      }
    }
    if (end === null) return;
    this.clearWait();
    const shown = this.latest.slice(0, end);
    const window = shown.slice(windowStart(shown, from, this.policy.overlapChars));
    const epoch = this.epoch;
    this.inFlightEnd = end;
    // Text beyond this piece has been waiting since now at the latest.
    this.waitingSince = this.latest.length > end ? this.clock.now() : null;
    this.running = this.judge(window, epoch, end, shown).finally(() => {
      if (this.epoch !== epoch) return;
      this.running = null;
      this.kick();
    });
  }

  private clearWait(): void {
    if (this.waitTimer !== null) this.clock.clearTimer(this.waitTimer);
    this.waitTimer = null;
  }

  private async judge(window: string, epoch: number, end: number, shown: string): Promise<void> {
    const ask = () => {
      this.checks += 1;
      return this.check(window);
    };
    let verdict = await ask();
    // One passing failure (a busy platform, a lost answer) is tried again before the answer is given up.
    if (worthAskingAgain(verdict) && this.epoch === epoch) verdict = await ask();
    if (this.epoch !== epoch) return;
    const stop = this.stopRule(verdict);
    if (stop) {
      this.stopped = { stop, verdict };
      return;
    }
    this.released = end;
    this.inFlightEnd = null;
    this.passedPieces += 1;
    this.show(shown);
  }
}
