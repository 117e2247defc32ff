/**
 * One order, from "confirming payment" to its final state: for an order opened on its own (a
 * subscribe message, a shared link, the orders list, the home page's WeChat Pay flow). A turn of a
 * conversation also links to its conversation. The page trusts only the server: it follows the
 * order through services/orderFollower.ts (the live stream while it is written, the long-poll
 * otherwise), shows the user's question as stored (folded to three lines when long), renders the
 * answer as Markdown while it grows (services/markdown.ts) with its 「AI生成」 label beside it, puts
 * text on screen at once (services/textFlow.ts smooths a piece in within 300 ms), and stops
 * following whenever it is hidden or closed.
 *
 * "Completed" and the copy button appear once the whole answer is on screen, not while its last
 * piece is still being smoothed in.
 */
import { copyableAnswer } from '../../services/answerCopy';
import { loadCatalog } from '../../services/catalog';
import { cloudApi } from '../../services/cloud';
import { leaveDraft } from '../../services/draft';
import { conversationPageUrl, dateTime, yuanFromFen } from '../../services/format';
import { currentLocale, errorMessage, messages, type Locale, type Messages } from '../../services/i18n';
import { answerBlocks, blockUpdates, type AnswerBlock } from '../../services/markdown';
import { OrderFollower, orderPhase, type OrderPhase } from '../../services/orderFollower';
import { paidText, returnedExplain, returnedLines } from '../../services/paid';
import { phaseText, withheldReason } from '../../services/phaseText';
import { openPaymentSheet } from '../../services/payment';
import { refusedPrivacy } from '../../services/privacy';
import { hasRedactions, questionFolds, questionSegments, type QuestionSegment } from '../../services/question';
import { Reveal, showAtOnce } from '../../services/textFlow';
import { changedData } from '../../services/viewDiff';
import { ensureTierTitles, tierTitle } from '../../services/tierNames';
import { confirmAction, copyText, goHome, openedFirst, openPage, setTitle, toast } from '../../services/ui';
import { paymentShownHere } from '../../services/platform';
import { isTerminalStatus, isVirtualPayment, type ActivePaymentDetails, type ClientPayment, type ErrorBody, type Turn } from '../../services/types';

export { LONG_POLL_WAIT_MS } from '../../services/textFlow';

type Phase = 'loading' | OrderPhase | 'missing';

/** A notice is kept as how to write it, so that it follows the language. */
type Notice = (t: Messages) => string;

/** What a page instance keeps outside its rendered data. */
interface OrderPageState {
  orderId: string;
  follower: OrderFollower;
  reveal: Reveal;
  order: Turn | null;
  payment: ClientPayment | null;
  /** The user finished the WeChat Pay sheet here: show "confirming" rather than "waiting for payment". */
  paidOnThisPhone: boolean;
  ticker: number | null;
  visible: boolean;
  notice: Notice | null;
  /** The answer was restarted on another model: said while the new one is written. */
  restarted: boolean;
  trouble: boolean;
  missing: boolean;
  /** The answer's blocks as last rendered. */
  blocks: AnswerBlock[];
  /** The operator's contact, once listTiers told it ('' when none is set); null until asked. */
  supportContact: string | null;
}

const states = new WeakMap<object, OrderPageState>();

function headline(phase: Phase, order: Turn | null, t: Messages): string {
  if (phase === 'loading') return t.orderLoading;
  if (phase === 'missing') return t.errorNotFound;
  return phaseText(phase, order, t);
}

/** Why the money goes back: an answer withheld by the content check is said so plainly (order.error.code). */
function refundExplain(phase: Phase, order: Turn | null, t: Messages): string {
  if (phase !== 'refunding' && phase !== 'refunded') return '';
  return withheldReason(order, t) || (phase === 'refunded' && order ? returnedExplain(order, t) : '');
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
    returned: [] as string[],
    spinning: true,
    blocks: [] as AnswerBlock[],
    question: [] as QuestionSegment[],
    questionFolds: false,
    questionExpanded: false,
    redacted: false,
    truncated: false,
    outTradeNo: '',
    amountText: '',
    paidText: '',
    tierTitle: '',
    createdText: '',
    conversationId: '',
    subscribed: false,
    canPay: false,
    busy: false,
    notice: '',
    trouble: '',
    openedFirst: false,
    reportOpen: false,
    supportContact: '',
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
      const state = states.get(this);
      if (state) {
        state.follower.dispose();
        state.reveal.stop();
        this.stopTicker(state);
      }
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
      const follower = new OrderFollower(
        orderId,
        {
          onOrder: (order, news) => this.apply(order, news.restarted, news.payment),
          onMissing: () => this.onMissing(),
          onTrouble: (trouble) => this.onTrouble(trouble),
        },
        { justPaid: paidOnThisPhone },
      );
      const state: OrderPageState = {
        orderId,
        follower,
        reveal: new Reveal((text) => this.showText(text)),
        order: null,
        payment: null,
        paidOnThisPhone,
        ticker: null,
        visible: true,
        notice: null,
        restarted: false,
        trouble: false,
        missing: false,
        blocks: [],
        supportContact: null,
      };
      states.set(this, state);
      this.setData({ orderId });
      this.render();
      follower.start();
    },

    resume() {
      const state = states.get(this);
      if (!state || state.missing) return;
      state.visible = true;
      state.follower.start();
      const order = state.order;
      if (order) state.reveal.receive(order.output);
      this.render();
    },

    pause() {
      const state = states.get(this);
      if (!state) return;
      state.visible = false;
      state.follower.pause();
      state.reveal.stop();
      this.stopTicker(state);
    },

    /** A newer version of the order, from the follower (or a cancel's answer). */
    apply(order: Turn, restarted: boolean, payment: ClientPayment | null) {
      const state = states.get(this);
      if (!state) return;
      const firstSight = state.order === null;
      state.order = order;
      if (order.status === 'pending_payment') state.payment = payment ?? state.payment;
      else state.payment = null;
      if (restarted) state.restarted = true;
      // Text already there when the page opens is shown at once; text that arrives while it is open flows in.
      state.reveal.receive(order.output, showAtOnce(firstSight, state.paidOnThisPhone));
      this.render();
    },

    onMissing() {
      const state = states.get(this);
      if (!state) return;
      state.missing = true;
      state.follower.dispose();
      this.render();
    },

    onTrouble(trouble: boolean) {
      const state = states.get(this);
      if (!state || state.trouble === trouble) return;
      state.trouble = trouble;
      this.setData({ trouble: trouble ? this.data.t.pollTrouble : '' });
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
      // The last piece is on screen: "completed" (and copying) may show now.
      if (!state.reveal.revealing && this.data.phase === 'writing' && order?.status === 'completed') this.render();
    },

    /** Derives everything shown from the order held; also drives the elapsed-seconds ticker. */
    render() {
      const state = states.get(this);
      if (!state) return;
      const { t, locale } = this.data;
      const order = state.order;
      const phase: Phase = state.missing ? 'missing' : order ? orderPhase(order, state.paidOnThisPhone, !state.reveal.revealing) : state.paidOnThisPhone ? 'confirming' : 'loading';
      const failed = phase === 'refunding' || phase === 'refunded';
      if (failed && state.supportContact === null) this.loadSupportContact(state);
      const prompt = order ? order.prompt : '';
      const shown = paymentShownHere();
      const view = {
        phase,
        headline: headline(phase, order, t),
        refundExplain: refundExplain(phase, order, t),
        returned: failed && order ? returnedLines(order, t, state.supportContact ?? '') : [],
        spinning: phase === 'loading' || phase === 'confirming' || phase === 'writing' || phase === 'refunding',
        question: order ? questionSegments(prompt, t) : [],
        questionFolds: questionFolds(prompt),
        redacted: order ? hasRedactions(prompt) : false,
        truncated: order?.truncated === true,
        outTradeNo: order ? order.outTradeNo : '',
        amountText: order && shown ? `¥${yuanFromFen(order.amountFen)}` : '',
        paidText: order ? paidText(order, t) : '',
        tierTitle: order ? tierTitle(order.tier, locale) : '',
        createdText: order ? dateTime(order.createdAt) : '',
        conversationId: order?.conversationId ?? '',
        subscribed: order ? order.subscribed : false,
        // wx.requestPayment's parameters pay again; a virtual payment's open one sheet only (home buys the question afresh).
        canPay: phase === 'awaiting_payment' && state.payment !== null && !isVirtualPayment(state.payment) && shown,
        notice: state.notice ? state.notice(t) : state.restarted && phase === 'writing' ? t.answerRestarted : '',
        trouble: state.trouble ? t.pollTrouble : '',
        supportContact: state.supportContact ?? '',
      };
      const changed = changedData(this.data as unknown as Record<string, unknown>, view);
      if (Object.keys(changed).length > 0) this.setData(changed);
      if (phase === 'writing' && state.visible) this.startTicker(state);
      else this.stopTicker(state);
    },

    loadSupportContact(state: OrderPageState) {
      state.supportContact = '';
      void loadCatalog().then((catalog) => {
        if (states.get(this) !== state) return;
        state.supportContact = catalog ? catalog.supportContact : '';
        if (state.supportContact) this.render();
      });
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

    onToggleQuestion() {
      this.setData({ questionExpanded: !this.data.questionExpanded });
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
          state.follower.paidHere();
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
          state.follower.stopPolling();
          state.follower.adopt(answer.order);
          toast(t.orderCancelled);
          return;
        }
        const current = (answer.error as ErrorBody & ActivePaymentDetails).order;
        if (current) {
          // Paid after all, or closed meanwhile: show what the server says and keep following it.
          state.follower.adopt(current);
          if (!isTerminalStatus(current.status)) state.follower.hurry();
          else state.follower.stopPolling();
        }
        const code = answer.error.code;
        this.setNotice((m) => errorMessage(code, m));
      } finally {
        this.setData({ busy: false });
      }
    },

    /**
     * Copies the answer as a reader sees it (Markdown rendered to plain text) with the AI label.
     * WeChat shows its own "copied" toast.
     */
    async onCopy() {
      const state = states.get(this);
      if (!state?.order) return;
      this.setNotice(null);
      const failure = await copyText(copyableAnswer(state.order.output, this.data.t.aiLabelInCopy));
      if (!failure) return;
      // Refusing the privacy guide is respected: nothing is copied, and the user is told why.
      this.setNotice(refusedPrivacy(failure) ? (t) => t.copyRefused : (t) => t.copyFailed);
    },

    onOpenReport() {
      const state = states.get(this);
      if (!state?.order) return;
      if (state.supportContact === null) this.loadSupportContact(state);
      this.setData({ reportOpen: true });
    },

    onReportClosed() {
      this.setData({ reportOpen: false });
    },

    /** The same question again, filled in on the home page. */
    onAskAgain() {
      const state = states.get(this);
      if (state?.order) leaveDraft({ prompt: state.order.prompt, tier: state.order.tier });
      goHome();
    },

    onOpenConversation() {
      const id = this.data.conversationId;
      if (id) openPage(conversationPageUrl(id));
    },

    onOpenHistory() {
      openPage('/pages/history/history');
    },

    onGoHome() {
      goHome();
    },
  },
});
