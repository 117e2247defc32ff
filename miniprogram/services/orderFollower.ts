/**
 * Follows one order until it is final, for whichever page shows it (the order page, each running
 * turn of a conversation). The page trusts only the server. While the order is paid or being
 * written it prefers the live stream (services/stream.ts: the answer's text as the server has it);
 * it long-polls getOrder (services/poller.ts decides when) until then, where chunked requests are
 * missing, and whenever the stream fails, and never tells the user which channel it uses.
 *
 * While an answer is being written the long-poll never backs off: each call is itself held by the
 * server until the text grows (at most 3 s), so pausing between calls would only leave text the
 * server has off the screen. It says when the answer was restarted on another model: the stream's
 * `from: 0` event, or, on the long-poll, text that no longer starts with what was shown.
 */
import { cloudApi } from './cloud';
import { Poller, pollResult, pollTimers, type PollResult, type Timers } from './poller';
import { chunkedTransport, OrderStream, type LiveText, type StreamStop } from './stream';
import { longPollInput } from './textFlow';
import { isTerminalStatus, type ClientOrder, type ClientPayment, type Turn } from './types';

/** What a page shows of an order's stage (both pages: the order page, each turn of a conversation). */
export type OrderPhase = 'awaiting_payment' | 'confirming' | 'writing' | 'completed' | 'refunding' | 'refunded' | 'closed';

/**
 * The stage to show: a payment made on this phone is being confirmed, not awaited; a completed
 * answer whose last piece is still flowing onto the screen is still being written.
 */
export function orderPhase(order: Turn, paidOnThisPhone: boolean, revealed: boolean): OrderPhase {
  switch (order.status) {
    case 'pending_payment':
      return paidOnThisPhone ? 'confirming' : 'awaiting_payment';
    case 'paid':
    case 'generating':
      return 'writing';
    case 'completed':
      return revealed ? 'completed' : 'writing';
    case 'refunding':
    case 'refunded':
    case 'closed':
      return order.status;
  }
}

/** A stream whose ticket expired gets this many fresh ones per follower before it settles on long-polling. */
const MAX_TICKET_REFRESHES = 3;
/**
 * While the stream shows a paid order that has not started generating, one getOrder call this often:
 * getOrder re-dispatches generation after 5 s (REDISPATCH_AFTER_MS in core/functions/getOrder.ts),
 * which the stream, only reading, never does.
 */
export const PAID_NUDGE_MS = 6_000;

export interface FollowerListener {
  /**
   * A newer version of the order, from either channel. `restarted`: the text shown was replaced
   * (another model took over). `payment`: getOrder's parameters to pay again, while it waits for payment.
   */
  onOrder(order: Turn, news: { restarted: boolean; payment: ClientPayment | null }): void;
  /** getOrder answered NOT_FOUND: the order is not (or no longer) the user's. Following ends. */
  onMissing(): void;
  /** A call failed (true: a retry follows after a pause), or one succeeded again (false). */
  onTrouble(trouble: boolean): void;
}

function beingWritten(order: ClientOrder): boolean {
  return order.status === 'paid' || order.status === 'generating';
}

/**
 * The answer was replaced: text was shown, and the new text does not continue it while the answer
 * is still (or was just) written. An answer withdrawn with a refund is not a restart: the page
 * explains the refund instead.
 */
export function restartedBetween(before: Turn, after: Turn): boolean {
  if (after.status === 'refunding' || after.status === 'refunded' || after.status === 'closed') return false;
  if (after.restarted === true && before.restarted !== true) return true;
  return before.output.length > 0 && !after.output.startsWith(before.output);
}

export class OrderFollower {
  private order: Turn | null;
  private readonly poller: Poller;
  private stream: OrderStream | null = null;
  /** The stream was refused or kept failing: long-poll for the rest of this follower's life. */
  private streamDisabled = false;
  /** A streamUrl whose stream stopped: not opened again (a fresh one comes with the next getOrder). */
  private spentStreamUrl: string | null = null;
  private ticketRefreshes = 0;
  private nudgeTimer: unknown = null;
  private running = false;
  private disposed = false;
  private justPaid: boolean;
  private readonly timers: Timers;

  constructor(
    readonly orderId: string,
    private readonly listener: FollowerListener,
    options: { order?: Turn; justPaid?: boolean } = {},
  ) {
    this.order = options.order ?? null;
    this.justPaid = options.justPaid ?? false;
    this.poller = new Poller(() => this.pollOnce());
    this.timers = pollTimers();
  }

  /** The order as last heard of. */
  get current(): Turn | null {
    return this.order;
  }

  /** Follows (again, after `pause`), from the revision held. */
  start(): void {
    if (this.disposed) return;
    this.running = true;
    if (!this.order) this.poller.start();
    else if (!isTerminalStatus(this.order.status)) this.chooseChannel();
  }

  /** Stops both channels (the page is hidden); a call in flight still settles and is applied. */
  pause(): void {
    this.running = false;
    this.poller.stop();
    this.closeStream();
  }

  /** Stops for good (the page is closed): nothing more is reported. */
  dispose(): void {
    this.pause();
    this.disposed = true;
  }

  /** The user just paid on this phone: the confirmation is due any moment, so look at once and keep looking. */
  paidHere(): void {
    this.justPaid = true;
    this.poller.hurry();
  }

  /** Something else changed the order (a cancel answered with it): adopted when newer, then followed. */
  adopt(order: Turn): void {
    this.apply(order, null);
  }

  /** Looks again at once (e.g. after a cancel that raced a payment). */
  hurry(): void {
    if (this.running && !this.stream) this.poller.hurry();
  }

  /** Stops polling (the order was cancelled here). */
  stopPolling(): void {
    this.poller.stop();
  }

  private apply(order: Turn, payment: ClientPayment | null): void {
    if (this.disposed) return;
    const before = this.order;
    this.order = order;
    this.listener.onOrder(order, { restarted: before !== null && restartedBetween(before, order), payment: order.status === 'pending_payment' ? payment : null });
    this.chooseChannel();
  }

  /**
   * The stream while the order is paid or being written and streaming is possible; the long-poll
   * otherwise (before payment is confirmed it also asks WeChat Pay about a late notification).
   */
  private chooseChannel(): void {
    if (!this.running || this.disposed) return;
    const order = this.order;
    if (!order || isTerminalStatus(order.status)) {
      this.closeStream();
      return;
    }
    if (this.stream) return;
    const transport = chunkedTransport();
    const url = order.streamUrl;
    if (transport && url && url !== this.spentStreamUrl && !this.streamDisabled && beingWritten(order)) {
      this.poller.stop();
      const from: LiveText = { rev: order.rev, status: order.status, output: order.output, outputComplete: order.outputComplete, error: order.error ?? null };
      const stream = new OrderStream(url, from, { onUpdate: (live) => this.onLive(stream, live), onStop: (reason) => this.onStreamStop(stream, url, reason) }, transport);
      this.stream = stream;
      stream.start();
      this.scheduleNudge();
      return;
    }
    this.poller.start();
  }

  private closeStream(): void {
    this.stream?.stop();
    this.stream = null;
    if (this.nudgeTimer !== null) this.timers.clear(this.nudgeTimer);
    this.nudgeTimer = null;
  }

  /** What the stream brought, applied as a newer version of the order held. */
  private onLive(stream: OrderStream, live: LiveText): void {
    if (this.stream !== stream || !this.order) return;
    const { error: _previous, ...held } = this.order;
    void _previous;
    this.apply({ ...held, rev: live.rev, status: live.status, output: live.output, outputComplete: live.outputComplete, ...(live.error ? { error: live.error } : {}) }, null);
  }

  private onStreamStop(stream: OrderStream, url: string, reason: StreamStop): void {
    if (this.stream !== stream) return;
    this.closeStream();
    this.spentStreamUrl = url;
    if (reason === 'terminal') return;
    if (reason === 'expired' && this.ticketRefreshes < MAX_TICKET_REFRESHES) this.ticketRefreshes += 1;
    else this.streamDisabled = true;
    // The long-poll takes over at once; its answer carries a fresh streamUrl when streaming is still an option.
    if (this.running) this.poller.hurry();
  }

  /** One getOrder call while the stream shows a paid order that has not started: getOrder nudges it. */
  private scheduleNudge(): void {
    if (this.nudgeTimer !== null) this.timers.clear(this.nudgeTimer);
    this.nudgeTimer = this.timers.set(() => {
      this.nudgeTimer = null;
      if (!this.stream || this.order?.status !== 'paid') return;
      void cloudApi()
        .getOrder({ orderId: this.orderId })
        .then((answer) => {
          if (answer.ok && this.stream && this.order && answer.order.rev > this.order.rev) this.apply(answer.order, null);
        })
        .finally(() => {
          if (this.stream) this.scheduleNudge();
        });
    }, PAID_NUDGE_MS);
  }

  /**
   * One long-poll: the server answers as soon as the order's status moves or its first text
   * appears, gathers further text for up to 3 s, and answers after 3 s when nothing happened.
   */
  private async pollOnce(): Promise<PollResult> {
    if (this.disposed) return 'finished';
    const known = this.order;
    const answer = await cloudApi().getOrder(longPollInput(this.orderId, known, this.justPaid));
    if (this.disposed) return 'finished';
    if (!answer.ok) {
      if (answer.error.code === 'NOT_FOUND') {
        this.listener.onMissing();
        return 'finished';
      }
      this.listener.onTrouble(true);
      return 'failed';
    }
    this.listener.onTrouble(false);
    const held = this.order;
    // An answer older than what is shown (e.g. a long-poll that raced a cancel) is dropped.
    if (held && answer.order.rev < held.rev) return 'unchanged';
    const changed = !known || answer.order.rev !== known.rev || answer.order.status !== known.status;
    this.apply(answer.order, answer.payment ?? null);
    if (isTerminalStatus(answer.order.status)) return 'finished';
    if (this.stream) return 'finished';
    return pollResult(changed, answer.order.status, this.justPaid);
  }
}
