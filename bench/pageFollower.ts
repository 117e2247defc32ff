import { answerBlocks, blockUpdates, type AnswerBlock } from '../miniprogram/services/markdown';
import { Poller, pollResult, type PollResult } from '../miniprogram/services/poller';
import { longPollInput, Reveal, showAtOnce } from '../miniprogram/services/textFlow';
import { isTerminalStatus, type ClientOrder } from '../miniprogram/services/types';
import type { TextMark } from './figures';
import type { LiveText, OrderStreamHandle, StreamModule, StreamStop } from './wxClient';

/**
 * How the order page follows one order, for the bench: the page's own rules and code, without its
 * rendering. The rules are those of pages/order/order.ts (`chooseChannel`, `onLive`,
 * `onStreamStop`, `scheduleNudge`, `pollOnce`, `apply`, `showText`), which cannot be imported into
 * Node (a Component); the code they drive is the page's own: the Poller (services/poller.ts), the
 * long-poll request (services/textFlow.ts `longPollInput`), the live stream (services/stream.ts
 * `OrderStream` over `chunkedTransport()`, on the bench's `wx`, bench/wxClient.ts), the smoothing
 * (`Reveal`) and the Markdown blocks whose changes the page sends with setData
 * (services/markdown.ts). A visible update is a setData that changes a block of the answer.
 */

/** A function call as the page's cloudApi makes it: the function's own answer. */
export type CallFunction = <T>(name: string, data: object) => Promise<T>;

type GetOrderAnswer = { ok: true; order: ClientOrder } | { ok: false; error: { code: string; message: string } };

export interface FollowOptions {
  orderId: string;
  /** The order as the page got it before following (createOrder's answer), or null: the page starts with a getOrder. */
  order: ClientOrder | null;
  /** The user just paid (or asked, with tokens) on this phone: `longPollInput`'s and `showAtOnce`'s `justPaid`. */
  justPaid: boolean;
  /** The live stream, or null for a phone whose base library cannot stream (the page long-polls). */
  stream: StreamModule | null;
  call: CallFunction;
  now?: () => number;
  timeoutMs?: number;
}

export interface FollowRecord {
  order: ClientOrder;
  /** Each visible update: when, and how much of the answer was on screen after it. */
  visible: TextMark[];
  /** Each time the page received a longer answer (from either channel): when, and its length. */
  arrivals: TextMark[];
  /** When the whole final answer was on screen. */
  finishedAt: number;
  getOrderCalls: number;
  streamsOpened: number;
}

/** While the stream shows a paid order that has not started, one getOrder this often (pages/order/order.ts PAID_NUDGE_MS). */
const PAID_NUDGE_MS = 6_000;
/** pages/order/order.ts MAX_TICKET_REFRESHES. */
const MAX_TICKET_REFRESHES = 3;

const streamable = (order: ClientOrder) => order.status === 'paid' || order.status === 'generating';

/** Follows one order as the order page does, until it is final and wholly on screen. */
export function followLikeThePage(options: FollowOptions): Promise<FollowRecord> {
  const now = options.now ?? (() => performance.now());
  const visible: TextMark[] = [];
  const arrivals: TextMark[] = [];
  let order: ClientOrder | null = null;
  let blocks: AnswerBlock[] = [];
  let stream: OrderStreamHandle | null = null;
  let streamDisabled = false;
  let spentStreamUrl: string | null = null;
  let ticketRefreshes = 0;
  let nudgeTimer: NodeJS.Timeout | null = null;
  let streamsOpened = 0;
  let getOrderCalls = 0;
  let done = false;

  const getOrder = async (input: object): Promise<GetOrderAnswer> => {
    getOrderCalls += 1;
    return options.call<GetOrderAnswer>('getOrder', input);
  };

  // The page's showText: render the Markdown, send only the blocks that changed.
  const reveal = new Reveal((text) => {
    const complete = order !== null && text === order.output && (order.outputComplete || isTerminalStatus(order.status));
    const next = answerBlocks(text, complete);
    if (Object.keys(blockUpdates(blocks, next)).length > 0) visible.push({ at: now(), length: text.length });
    blocks = next;
  });

  const closeStream = () => {
    stream?.stop();
    stream = null;
    if (nudgeTimer !== null) clearTimeout(nudgeTimer);
    nudgeTimer = null;
  };

  const apply = (next: ClientOrder) => {
    const firstSight = order === null;
    if (next.output.length > (order?.output.length ?? 0)) arrivals.push({ at: now(), length: next.output.length });
    order = next;
    reveal.receive(next.output, showAtOnce(firstSight, options.justPaid));
    chooseChannel();
  };

  const scheduleNudge = () => {
    if (nudgeTimer !== null) clearTimeout(nudgeTimer);
    nudgeTimer = setTimeout(() => {
      nudgeTimer = null;
      if (!stream || order?.status !== 'paid') return;
      void getOrder({ orderId: options.orderId })
        .then((answer) => {
          if (answer.ok && stream && order && answer.order.rev > order.rev) apply(answer.order);
        })
        .finally(() => {
          if (stream) scheduleNudge();
        });
    }, PAID_NUDGE_MS);
  };

  const poller = new Poller(async (): Promise<PollResult> => {
    if (done) return 'finished';
    const known = order;
    const answer = await getOrder(longPollInput(options.orderId, known, options.justPaid));
    if (!answer.ok) return answer.error.code === 'NOT_FOUND' ? 'finished' : 'failed';
    // An answer older than what the page already shows is dropped.
    if (order && answer.order.rev < order.rev) return 'unchanged';
    const changed = !known || answer.order.rev !== known.rev || answer.order.status !== known.status;
    apply(answer.order);
    if (isTerminalStatus(answer.order.status)) return 'finished';
    if (stream) return 'finished';
    // The pages' own rule (no back-off while a payment is confirmed or an answer written).
    return pollResult(changed, answer.order.status, options.justPaid);
  });

  const onStreamStop = (from: OrderStreamHandle, url: string, reason: StreamStop) => {
    if (stream !== from) return;
    closeStream();
    spentStreamUrl = url;
    if (reason === 'terminal') return;
    if (reason === 'expired' && ticketRefreshes < MAX_TICKET_REFRESHES) ticketRefreshes += 1;
    else streamDisabled = true;
    poller.hurry();
  };

  function chooseChannel(): void {
    if (done) return;
    const current = order;
    if (!current || isTerminalStatus(current.status)) {
      closeStream();
      return;
    }
    if (stream) return;
    const transport = options.stream?.chunkedTransport() ?? null;
    const url = current.streamUrl;
    if (options.stream && transport && url && url !== spentStreamUrl && !streamDisabled && streamable(current)) {
      poller.stop();
      const from: LiveText = { rev: current.rev, status: current.status, output: current.output, outputComplete: current.outputComplete, error: current.error ?? null };
      const opened: OrderStreamHandle = new options.stream.OrderStream(
        url,
        from,
        {
          onUpdate: (live) => {
            if (stream !== opened || !order) return;
            const { error: _previous, ...held } = order;
            void _previous;
            apply({ ...held, rev: live.rev, status: live.status, output: live.output, outputComplete: live.outputComplete, ...(live.error ? { error: live.error } : {}) });
          },
          onStop: (reason) => onStreamStop(opened, url, reason),
        },
        transport,
      );
      stream = opened;
      streamsOpened += 1;
      opened.start();
      scheduleNudge();
      return;
    }
    poller.start();
  }

  return new Promise<FollowRecord>((resolve, reject) => {
    const finish = (error?: Error) => {
      done = true;
      clearInterval(watch);
      clearTimeout(limit);
      poller.stop();
      closeStream();
      reveal.stop();
      if (error) reject(error);
      else if (order) resolve({ order, visible, arrivals, finishedAt: now(), getOrderCalls, streamsOpened });
    };
    // Done once the order is final and the smoothing has put all of it on screen.
    const watch = setInterval(() => {
      if (order && isTerminalStatus(order.status) && !reveal.revealing) finish();
    }, 5);
    const limit = setTimeout(() => finish(new Error(`order ${options.orderId} was not final and on screen within ${options.timeoutMs ?? 90_000} ms`)), options.timeoutMs ?? 90_000);
    if (options.order) apply(options.order);
    else poller.start();
  });
}
