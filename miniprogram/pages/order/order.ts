/**
 * One order, from "confirming payment" to its final state. The page trusts only the server. While
 * the order is paid or being written it prefers the live stream (services/stream.ts: the answer's
 * text as the server has it); it long-polls getOrder (services/poller.ts decides when) until then,
 * where chunked requests are missing, and whenever the stream fails, and never tells the user which
 * channel it uses. It shows the user's question as stored, renders the answer as Markdown while it
 * grows (services/markdown.ts), puts text on screen at once (services/textFlow.ts smooths a piece
 * in within 300 ms), and stops both channels whenever it is hidden or closed.
 */
import { cloudApi } from '../../services/cloud';
import { leaveDraft } from '../../services/draft';
import { dateTime, yuanFromFen } from '../../services/format';
import { currentLocale, errorMessage, format, messages, type Locale, type Messages } from '../../services/i18n';
import { answerBlocks, blockUpdates, type AnswerBlock } from '../../services/markdown';
import { paidText, returnedExplain, returnedText } from '../../services/paid';
import { openPaymentSheet } from '../../services/payment';
import { Poller, type PollResult } from '../../services/poller';
import { refusedPrivacy } from '../../services/privacy';
import { hasRedactions, questionSegments, type QuestionSegment } from '../../services/question';
import { chunkedTransport, OrderStream, type LiveText, type StreamStop } from '../../services/stream';
import { longPollInput, Reveal, showAtOnce } from '../../services/textFlow';
import { ensureTierTitles, tierTitle } from '../../services/tierNames';
import { confirmAction, copyText, goHome, openedFirst, setTitle, toast } from '../../services/ui';
import { paymentShownHere } from '../../services/platform';
import { isTerminalStatus, isVirtualPayment, type ActivePaymentDetails, type ClientOrder, type ClientPayment, type ErrorBody } from '../../services/types';

export { LONG_POLL_WAIT_MS } from '../../services/textFlow';

type Phase = 'loading' | 'awaiting_payment' | 'confirming' | 'writing' | 'completed' | 'refunding' | 'refunded' | 'closed' | 'missing';

/** A notice is kept as how to write it, so that it follows the language. */
type Notice = (t: Messages) => string;

/** What a page instance keeps outside its rendered data. */
interface OrderPageState {
  orderId: string;
  poller: Poller;
  reveal: Reveal;
  order: ClientOrder | null;
  payment: ClientPayment | null;
  /** The user finished the WeChat Pay sheet here: show "confirming" rather than "waiting for payment". */
  paidOnThisPhone: boolean;
  ticker: number | null;
  visible: boolean;
  notice: Notice | null;
  /** The answer's blocks as last rendered. */
  blocks: AnswerBlock[];
  /** The live stream while it is open. */
  stream: OrderStream | null;
  /** The stream was refused or kept failing: long-poll for the rest of this visit. */
  streamDisabled: boolean;
  /** A streamUrl whose stream stopped: not opened again (a fresh one comes with the next getOrder). */
  spentStreamUrl: string | null;
  /** Fresh tickets asked for after a stream said its ticket expired (bounded, so a broken clock cannot loop). */
  ticketRefreshes: number;
  /** While streaming a paid order that has not started: the timer of the getOrder call that nudges it. */
  nudgeTimer: number | null;
}

/** A stream whose ticket expired gets this many fresh ones per visit before the page settles on long-polling. */
const MAX_TICKET_REFRESHES = 3;
/**
 * While the stream shows a paid order that has not started generating, one getOrder call this often:
 * getOrder re-dispatches generation after 5 s (REDISPATCH_AFTER_MS in core/functions/getOrder.ts),
 * which the stream, only reading, never does.
 */
const PAID_NUDGE_MS = 6_000;

function streamable(order: ClientOrder): boolean {
  return order.status === 'paid' || order.status === 'generating';
}

const states = new WeakMap<object, OrderPageState>();

function phaseOf(order: ClientOrder, paidOnThisPhone: boolean): Phase {
  switch (order.status) {
    case 'pending_payment':
      return paidOnThisPhone ? 'confirming' : 'awaiting_payment';
    case 'paid':
    case 'generating':
      return 'writing';
    case 'refunding':
    case 'completed':
    case 'refunded':
    case 'closed':
      return order.status;
  }
}

function elapsedSeconds(order: ClientOrder | null): number {
  const since = order?.paidAt ?? order?.createdAt;
  return since === undefined ? 0 : Math.max(0, Math.floor((Date.now() - since) / 1000));
}

function headline(phase: Phase, order: ClientOrder | null, t: Messages): string {
  switch (phase) {
    case 'loading':
      return t.orderLoading;
    case 'awaiting_payment':
      return t.waitingPayment;
    case 'confirming':
      return t.confirmingPayment;
    case 'writing':
      return format(t.writing, { seconds: elapsedSeconds(order) });
    case 'completed':
      return t.completed;
    case 'refunding':
      return t.refunding;
    case 'refunded':
      return order ? returnedText(order, t) : format(t.refunded, { amount: yuanFromFen(0) });
    case 'closed':
      return t.closed;
    case 'missing':
      return t.errorNotFound;
  }
}

/** Why the money goes back: an answer withheld by the content check is said so plainly (order.error.code). */
function refundExplain(phase: Phase, order: ClientOrder | null, t: Messages): string {
  if (phase !== 'refunding' && phase !== 'refunded') return '';
  const code = order?.error?.code;
  if (code === 'CONTENT_REFUSED') return t.contentRefused;
  if (code === 'CONTENT_UNCHECKED') return t.contentUnchecked;
  return phase === 'refunded' && order ? returnedExplain(order, t) : '';
}

Component({
  properties: {
    orderId: { type: String, value: '' },
    /** '1' when the user has just finished the payment sheet. */
    paid: { type: String, value: '' },
  },

  data: {
    locale: 'zh' as Locale,
    t: messages('zh'),
    phase: 'loading' as Phase,
    headline: '',
    refundExplain: '',
    spinning: true,
    blocks: [] as AnswerBlock[],
    question: [] as QuestionSegment[],
    redacted: false,
    outTradeNo: '',
    amountText: '',
    paidText: '',
    tierTitle: '',
    createdText: '',
    subscribed: false,
    canPay: false,
    busy: false,
    notice: '',
    trouble: '',
    openedFirst: false,
  },

  lifetimes: {
    attached() {
      const locale = currentLocale();
      const t = messages(locale);
      this.setData({ locale, t, headline: t.orderLoading, openedFirst: openedFirst() });
      setTitle(t.orderTitle);
      if (this.data.orderId) this.start(this.data.orderId, this.data.paid === '1');
      // Opened first (a reload, a subscribe message), nothing has named the tiers yet.
      void ensureTierTitles().then((known) => {
        if (known) this.render();
      });
    },
    detached() {
      this.pause();
      states.delete(this);
    },
  },

  pageLifetimes: {
    show() {
      // Whether a page lies below this one; WeChat lists the page itself by the time it is shown.
      this.setData({ openedFirst: openedFirst() });
      this.resume();
    },
    hide() {
      this.pause();
    },
  },

  methods: {
    /**
     * WeChat sets a Component page's declared properties from its query ("组件的属性可以用于接收页面的
     * 参数", Component 构造器 docs) and calls onLoad with the query; attached may come first, so both
     * paths start the page, and starting twice is harmless.
     */
    onLoad(query: Record<string, string | undefined>) {
      const orderId = query.orderId ? decodeURIComponent(query.orderId) : '';
      if (orderId) this.start(orderId, query.paid === '1');
    },

    start(orderId: string, paidOnThisPhone: boolean) {
      if (states.has(this)) return;
      const state: OrderPageState = {
        orderId,
        poller: new Poller(() => this.pollOnce()),
        reveal: new Reveal((text) => this.showText(text)),
        order: null,
        payment: null,
        paidOnThisPhone,
        ticker: null,
        visible: true,
        notice: null,
        blocks: [],
        stream: null,
        streamDisabled: false,
        spentStreamUrl: null,
        ticketRefreshes: 0,
        nudgeTimer: null,
      };
      states.set(this, state);
      this.setData({ orderId });
      this.render();
      state.poller.start();
    },

    resume() {
      const state = states.get(this);
      if (!state) return;
      state.visible = true;
      const order = state.order;
      if (!order) state.poller.start();
      else if (!isTerminalStatus(order.status)) this.chooseChannel();
      if (order) state.reveal.receive(order.output, order.outputComplete || isTerminalStatus(order.status));
      this.render();
    },

    pause() {
      const state = states.get(this);
      if (!state) return;
      state.visible = false;
      state.poller.stop();
      this.closeStream(state);
      state.reveal.stop();
      this.stopTicker(state);
    },

    /**
     * The stream while the order is paid or being written and the page can stream; the long-poll
     * otherwise (before payment is confirmed it also asks WeChat Pay about a late notification).
     */
    chooseChannel() {
      const state = states.get(this);
      if (!state || !state.visible) return;
      const order = state.order;
      if (!order || isTerminalStatus(order.status)) {
        this.closeStream(state);
        return;
      }
      if (state.stream) return;
      const transport = chunkedTransport();
      const url = order.streamUrl;
      if (transport && url && url !== state.spentStreamUrl && !state.streamDisabled && streamable(order)) {
        state.poller.stop();
        const from: LiveText = { rev: order.rev, status: order.status, output: order.output, outputComplete: order.outputComplete, error: order.error ?? null };
        const stream = new OrderStream(url, from, { onUpdate: (live, restarted) => this.onLive(stream, live, restarted), onStop: (reason) => this.onStreamStop(stream, url, reason) }, transport);
        state.stream = stream;
        stream.start();
        this.scheduleNudge(state);
        return;
      }
      state.poller.start();
    },

    closeStream(state: OrderPageState) {
      state.stream?.stop();
      state.stream = null;
      if (state.nudgeTimer !== null) clearTimeout(state.nudgeTimer);
      state.nudgeTimer = null;
    },

    /** What the stream brought, applied as a newer version of the order held. */
    onLive(stream: OrderStream, live: LiveText, restarted: boolean) {
      const state = states.get(this);
      if (!state || state.stream !== stream || !state.order) return;
      const { error: _previous, ...held } = state.order;
      void _previous;
      const next: ClientOrder = { ...held, rev: live.rev, status: live.status, output: live.output, outputComplete: live.outputComplete, ...(live.error ? { error: live.error } : {}) };
      if (restarted) state.notice = (t) => t.answerRestarted;
      this.apply(next);
    },

    onStreamStop(stream: OrderStream, url: string, reason: StreamStop) {
      const state = states.get(this);
      if (!state || state.stream !== stream) return;
      this.closeStream(state);
      state.spentStreamUrl = url;
      if (reason === 'terminal') return;
      if (reason === 'expired' && state.ticketRefreshes < MAX_TICKET_REFRESHES) {
        state.ticketRefreshes += 1;
      } else {
        state.streamDisabled = true;
      }
      // The long-poll takes over at once; its answer carries a fresh streamUrl when streaming is still an option.
      state.poller.hurry();
    },

    /** One getOrder call while the stream shows a paid order that has not started: getOrder nudges it. */
    scheduleNudge(state: OrderPageState) {
      if (state.nudgeTimer !== null) clearTimeout(state.nudgeTimer);
      state.nudgeTimer = setTimeout(() => {
        state.nudgeTimer = null;
        if (!state.stream || state.order?.status !== 'paid') return;
        void cloudApi()
          .getOrder({ orderId: state.orderId })
          .then((answer) => {
            if (answer.ok && states.get(this) === state && state.stream && state.order && answer.order.rev > state.order.rev) this.apply(answer.order);
          })
          .finally(() => {
            if (state.stream) this.scheduleNudge(state);
          });
      }, PAID_NUDGE_MS) as unknown as number;
    },

    /**
     * One long-poll: the server answers as soon as the order's status moves or its first text
     * appears, gathers further text for up to 3 s, and answers after 3 s when nothing happened.
     */
    async pollOnce(): Promise<PollResult> {
      const state = states.get(this);
      if (!state) return 'finished';
      const known = state.order;
      const answer = await cloudApi().getOrder(longPollInput(state.orderId, known, state.paidOnThisPhone));
      if (states.get(this) !== state) return 'finished';
      if (!answer.ok) {
        if (answer.error.code === 'NOT_FOUND') {
          this.setData({ phase: 'missing', headline: this.data.t.errorNotFound, spinning: false, trouble: '' });
          return 'finished';
        }
        this.setData({ trouble: this.data.t.pollTrouble });
        return 'failed';
      }
      const held = state.order;
      // An answer older than what the page already shows (e.g. a long-poll that raced a cancel) is dropped.
      if (held && answer.order.rev < held.rev) return 'unchanged';
      const changed = !known || answer.order.rev !== known.rev || answer.order.status !== known.status;
      state.payment = answer.payment ?? state.payment;
      this.apply(answer.order);
      if (isTerminalStatus(answer.order.status)) return 'finished';
      if (state.stream) return 'finished';
      // Just paid here: the confirmation is due any moment, so the next long-poll follows at once.
      if (!changed && answer.order.status === 'pending_payment' && state.paidOnThisPhone) return 'expecting';
      return changed ? 'changed' : 'unchanged';
    },

    apply(order: ClientOrder) {
      const state = states.get(this);
      if (!state) return;
      const firstSight = state.order === null;
      state.order = order;
      if (order.status !== 'pending_payment') state.payment = null;
      const done = order.outputComplete || isTerminalStatus(order.status);
      // Text already there when the page opens is shown at once; text that arrives while it is open flows in.
      state.reveal.receive(order.output, done, showAtOnce(firstSight, state.paidOnThisPhone));
      this.render();
      this.chooseChannel();
    },

    /** Renders the answer's text as Markdown, sending only the blocks that changed. */
    showText(text: string) {
      const state = states.get(this);
      if (!state) return;
      const order = state.order;
      const complete = order !== null && text === order.output && (order.outputComplete || isTerminalStatus(order.status));
      const blocks = answerBlocks(text, complete);
      const updates = blockUpdates(state.blocks, blocks);
      state.blocks = blocks;
      if (Object.keys(updates).length > 0) this.setData(updates);
    },

    /** Derives everything shown from the order held; also drives the elapsed-seconds ticker. */
    render() {
      const state = states.get(this);
      if (!state) return;
      const { t, locale } = this.data;
      const order = state.order;
      const phase: Phase = order ? phaseOf(order, state.paidOnThisPhone) : state.paidOnThisPhone ? 'confirming' : 'loading';
      this.setData({
        phase,
        headline: headline(phase, order, t),
        refundExplain: refundExplain(phase, order, t),
        spinning: phase === 'loading' || phase === 'confirming' || phase === 'writing' || phase === 'refunding',
        question: order ? questionSegments(order.prompt, t) : [],
        redacted: order ? hasRedactions(order.prompt) : false,
        outTradeNo: order ? order.outTradeNo : '',
        amountText: order ? yuanFromFen(order.amountFen) : '',
        paidText: order ? paidText(order, t) : '',
        tierTitle: order ? tierTitle(order.tier, locale) : '',
        createdText: order ? dateTime(order.createdAt) : '',
        subscribed: order ? order.subscribed : false,
        // wx.requestPayment's parameters pay again; a virtual payment's open one sheet only (home buys the question afresh).
        canPay: phase === 'awaiting_payment' && state.payment !== null && !isVirtualPayment(state.payment) && paymentShownHere(),
        notice: state.notice ? state.notice(t) : '',
        trouble: '',
      });
      if (phase === 'writing' && state.visible) this.startTicker(state);
      else this.stopTicker(state);
    },

    setNotice(notice: Notice | null) {
      const state = states.get(this);
      if (!state) return;
      state.notice = notice;
      this.render();
    },

    startTicker(state: OrderPageState) {
      if (state.ticker !== null) return;
      state.ticker = setInterval(() => {
        if (this.data.phase === 'writing') this.setData({ headline: headline('writing', state.order, this.data.t) });
      }, 1000) as unknown as number;
    },

    stopTicker(state: OrderPageState) {
      if (state.ticker === null) return;
      clearInterval(state.ticker);
      state.ticker = null;
    },

    /** Pays again with the very parameters the server issued for this order. */
    async onPayAgain() {
      const state = states.get(this);
      if (!state || !state.payment || isVirtualPayment(state.payment) || this.data.busy) return;
      const payment = state.payment;
      this.setData({ busy: true });
      this.setNotice(null);
      try {
        const outcome = await openPaymentSheet(payment);
        if (outcome.kind === 'paid') {
          state.paidOnThisPhone = true;
          this.render();
          state.poller.hurry();
        } else {
          this.setNotice(outcome.kind === 'cancelled' ? (t) => t.payCancelled : (t) => t.payFailed);
        }
      } finally {
        this.setData({ busy: false });
      }
    },

    async onCancelOrder() {
      const state = states.get(this);
      if (!state || this.data.busy) return;
      const { t } = this.data;
      this.setData({ busy: true });
      this.setNotice(null);
      try {
        if (!(await confirmAction(t.cancelConfirm, t.confirmYes, t.confirmNo))) return;
        const answer = await cloudApi().cancelOrder({ orderId: state.orderId });
        if (answer.ok) {
          state.poller.stop();
          this.apply(answer.order);
          toast(t.orderCancelled);
          return;
        }
        const current = (answer.error as ErrorBody & ActivePaymentDetails).order;
        if (current) {
          // Paid after all, or closed meanwhile: show what the server says and keep following it.
          this.apply(current);
          if (!isTerminalStatus(current.status)) state.poller.hurry();
          else state.poller.stop();
        }
        const code = answer.error.code;
        this.setNotice((m) => errorMessage(code, m));
      } finally {
        this.setData({ busy: false });
      }
    },

    /** Copies the whole answer, as the model wrote it (Markdown). WeChat shows its own "copied" toast. */
    async onCopy() {
      const state = states.get(this);
      if (!state?.order) return;
      this.setNotice(null);
      const failure = await copyText(state.order.output);
      if (!failure) return;
      // Refusing the privacy guide is respected: nothing is copied, and the user is told why.
      this.setNotice(refusedPrivacy(failure) ? (t) => t.copyRefused : (t) => t.copyFailed);
    },

    /** The same question again, filled in on the home page. */
    onAskAgain() {
      const state = states.get(this);
      if (state?.order) leaveDraft({ prompt: state.order.prompt, tier: state.order.tier });
      goHome();
    },

    onGoHome() {
      goHome();
    },
  },
});
