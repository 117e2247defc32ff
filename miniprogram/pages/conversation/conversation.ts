/**
 * A conversation: its turns stacked oldest first (each question, then its answer as Markdown with
 * the 「AI生成」 label beside it), and the question box at the bottom for a follow-up. Opened without
 * a conversationId (`?tier=quick`), it starts a new conversation with its first question.
 *
 * - A follow-up is createOrder with the conversation's id, paid with tokens (services/ask.ts): it
 *   comes back paid, so the turn shows "writing" at once, never "confirming payment", and its text
 *   flows in live as it is written (services/orderFollower.ts: the stream, or the long-poll).
 *   Under wxpay (no tokens) each follow-up is a purchase paid on WeChat Pay's sheet here; a sheet
 *   not paid cancels its order, and the question stays in the box.
 * - Without enough tokens (INSUFFICIENT_BALANCE) the question is kept (services/handoff.ts) and
 *   the home page's top-up opens on top of this page; back here, the question is still in the box.
 *   Where the phone may show no payment (services/platform.ts) nothing is offered: WeChat's words
 *   for an unavailable feature are said instead.
 * - Opened with `paid=<orderId>` (the home page's sheet was just paid for that turn), the turn says
 *   "confirming payment" until WeChat's confirmation is in, not "waiting for payment".
 * - Each answer says what it cost (tokens, or money where payment may be shown).
 * - A turn that failed says what went back (tokens at once, or money with WeChat Pay's timing), its
 *   order number and whom to contact; the conversation goes on.
 * - Every answer can be copied (readable text with the AI label) and reported (举报/反馈).
 * - Deleting the conversation (the user's right to erasure under PIPL, 《个人信息保护法》第四十七条)
 *   asks first, then erases it on the server and whatever this phone kept of it.
 */
import { copyableAnswer } from '../../services/answerCopy';
import { askWithTokens } from '../../services/ask';
import { BottomFollow } from '../../services/bottomFollow';
import { loadCatalog, type Catalog } from '../../services/catalog';
import { cloudApi } from '../../services/cloud';
import { promptLength, yuanFromFen } from '../../services/format';
import { forgetKeptQuestion, keepQuestionForTopUp, keptQuestion, TOP_UP_ROUTE } from '../../services/handoff';
import { currentLocale, errorMessage, format, localized, messages, type Locale, type Messages } from '../../services/i18n';
import { answerBlocks, blockUpdates, type AnswerBlock } from '../../services/markdown';
import { OrderFollower, orderPhase, type OrderPhase } from '../../services/orderFollower';
import { paidShortText, returnedLines } from '../../services/paid';
import { phaseText, withheldReason } from '../../services/phaseText';
import { openPaymentSheet } from '../../services/payment';
import { knownPayMode, paymentShownHere, platformField } from '../../services/platform';
import { refusedPrivacy } from '../../services/privacy';
import { questionFolds, questionSegments, type QuestionSegment } from '../../services/question';
import { Reveal } from '../../services/textFlow';
import { changedData } from '../../services/viewDiff';
import { tierForLength } from '../../services/tierChoice';
import { rememberTiers } from '../../services/tierNames';
import { confirmAction, copyText, goHome, openedFirst, openPage, setTitle, toast } from '../../services/ui';
import { isTerminalStatus, isVirtualPayment, type ActivePaymentDetails, type ClientOrder, type ErrorBody, type InsufficientBalanceDetails, type PayMode, type Turn } from '../../services/types';

type TurnPhase = OrderPhase;

/** What the template shows of one turn. */
interface TurnView {
  orderId: string;
  question: QuestionSegment[];
  folds: boolean;
  expanded: boolean;
  blocks: AnswerBlock[];
  phase: TurnPhase;
  status: string;
  spinning: boolean;
  notice: string;
  truncated: boolean;
  explain: string;
  returned: string[];
  /** What the turn cost ("10 代币", or "¥0.50" where payment may be shown); '' until it is answered. */
  paid: string;
}

/** What the page keeps of one turn outside its rendered data. */
interface TurnState {
  order: Turn;
  follower: OrderFollower | null;
  reveal: Reveal;
  blocks: AnswerBlock[];
  restarted: boolean;
  expanded: boolean;
  /** Its sheet was paid on this phone: "confirming payment" until WeChat's confirmation is in. */
  paidHere: boolean;
  /** How many characters of its answer are on screen (to tell growth from a restart). */
  shownChars: number;
}

/** A notice is kept as how to write it, so that it follows the language. */
type Notice = (t: Messages) => string;

interface ConversationState {
  conversationId: string;
  turns: TurnState[];
  visible: boolean;
  missing: boolean;
  catalog: Catalog | null;
  /** The tier the next question is asked with. */
  tierId: string;
  /** The turn whose sheet the user has just paid (the `paid` query); '' for none. */
  paidOrderId: string;
  ticker: number | null;
  notice: Notice | null;
  /** Keeps the newest answer in sight while it is written, until the user scrolls up. */
  bottom: BottomFollow;
}

const states = new WeakMap<object, ConversationState>();

/** A turn's status: as the order page says it, except that a completed answer speaks for itself. */
function statusText(phase: TurnPhase, order: Turn, t: Messages): string {
  return phase === 'completed' ? '' : phaseText(phase, order, t);
}

function explainText(phase: TurnPhase, order: Turn, t: Messages): string {
  if (phase !== 'refunding' && phase !== 'refunded') return '';
  const why = withheldReason(order, t);
  return why ? `${why} ${t.turnFailedGoOn}` : t.turnFailedGoOn;
}

/** A turn still to be followed: not final, or a refund still on its way. */
function stillMoving(order: Turn): boolean {
  return !isTerminalStatus(order.status);
}

Component({
  properties: {
    conversationId: { type: String, value: '' },
    /** For a new conversation: the tier its first question is asked with. */
    tier: { type: String, value: '' },
    /** The turn whose sheet the user has just paid on the home page. */
    paid: { type: String, value: '' },
  },

  data: {
    locale: 'zh' as Locale,
    t: messages('zh'),
    loading: true,
    /** No question asked yet: the box asks the first one, and there is nothing to delete. */
    isNew: false,
    missing: false,
    loadError: '',
    turns: [] as TurnView[],
    draft: '',
    countText: '',
    overLimit: false,
    limitMessage: '',
    suggestion: '',
    suggestedTierId: '',
    canSend: false,
    sendLabel: '',
    busy: false,
    notice: '',
    openedFirst: false,
    reportOpen: false,
    reportOrderId: '',
    supportContact: '',
  },

  lifetimes: {
    attached() {
      const locale = currentLocale();
      const t = messages(locale);
      this.setData({ locale, t, openedFirst: openedFirst() });
      setTitle(t.conversationTitle);
      if (this.data.conversationId || this.data.tier) this.start(this.data.conversationId, this.data.tier, this.data.paid);
    },
    detached() {
      const state = states.get(this);
      if (state) {
        for (const turn of state.turns) {
          turn.follower?.dispose();
          turn.reveal.stop();
        }
        this.stopTicker(state);
        state.bottom.stop();
      }
      states.delete(this);
    },
  },

  pageLifetimes: {
    show() {
      this.setData({ openedFirst: openedFirst() });
      const state = states.get(this);
      if (!state || state.missing) return;
      state.visible = true;
      for (const turn of state.turns) {
        turn.follower?.start();
        turn.reveal.receive(turn.order.output);
      }
      this.takeKeptQuestion();
      this.renderTurns();
      state.bottom.resume();
    },
    hide() {
      const state = states.get(this);
      if (!state) return;
      state.visible = false;
      for (const turn of state.turns) {
        turn.follower?.pause();
        turn.reveal.stop();
      }
      this.stopTicker(state);
      // wx.pageScrollTo moves whichever page is shown: none may be sent from here while hidden.
      state.bottom.pause();
    },
  },

  methods: {
    /** WeChat hands a Component page its query both as properties and to onLoad; starting twice is harmless. */
    onLoad(query: Record<string, string | undefined>) {
      const id = query.conversationId ? decodeURIComponent(query.conversationId) : '';
      const tier = query.tier ? decodeURIComponent(query.tier) : '';
      const paid = query.paid ? decodeURIComponent(query.paid) : '';
      if (id || tier) this.start(id, tier, paid);
    },

    /** A conversation by its id, or a new one (no id) whose first question goes with `tier`. */
    start(conversationId: string, tier = '', paidOrderId = '') {
      if (states.has(this)) return;
      const bottom = new BottomFollow(() => wx.pageScrollTo({ scrollTop: 1_000_000, duration: 100, fail: () => undefined }));
      const state: ConversationState = { conversationId, turns: [], visible: true, missing: false, catalog: null, tierId: tier, paidOrderId, ticker: null, notice: null, bottom };
      states.set(this, state);
      if (conversationId) void this.load(state);
      else this.setData({ loading: false, isNew: true });
      void loadCatalog().then((catalog) => {
        if (states.get(this) !== state || !catalog) return;
        state.catalog = catalog;
        rememberTiers(catalog.tiers);
        if (!state.tierId && !conversationId) state.tierId = catalog.tiers[0]?.id ?? '';
        this.setData({ supportContact: catalog.supportContact });
        this.renderTurns();
        this.refreshComposer();
      });
    },

    async load(state: ConversationState) {
      this.setData({ loading: true, loadError: '' });
      const answer = await cloudApi().getConversation({ conversationId: state.conversationId });
      if (states.get(this) !== state) return;
      if (!answer.ok) {
        if (answer.error.code === 'NOT_FOUND') this.showMissing(state);
        else this.setData({ loading: false, loadError: errorMessage(answer.error.code, this.data.t) });
        return;
      }
      const { conversation } = answer;
      setTitle(questionSegments(conversation.title, this.data.t).map((part) => part.text).join('') || this.data.t.conversationTitle);
      state.turns = conversation.turns.map((order) => this.turnState(order, false, order.orderId === state.paidOrderId));
      const last = conversation.turns[conversation.turns.length - 1];
      if (!state.tierId && last) state.tierId = last.tier;
      this.setData({ loading: false });
      this.renderTurns();
      for (const turn of state.turns) turn.reveal.receive(turn.order.output, true);
      for (const turn of state.turns) if (state.visible) turn.follower?.start();
      // A conversation opens at its newest turn, as a chat does, with the box for a follow-up
      // beside it; an answer still being written there is followed.
      if (state.turns.length > 0) state.bottom.follow();
      this.takeKeptQuestion();
      this.refreshComposer();
    },

    /** A turn's state; a turn that can still change is followed. `justAsked`: its text flows in rather than appearing at once. */
    turnState(order: Turn, justAsked: boolean, paidHere = false): TurnState {
      const turn: TurnState = { order, follower: null, reveal: new Reveal((text) => this.showText(turn, text)), blocks: [], restarted: false, expanded: false, paidHere, shownChars: 0 };
      if (stillMoving(order)) {
        turn.follower = new OrderFollower(
          order.orderId,
          {
            onOrder: (next, news) => this.applyTurn(turn, next, news.restarted),
            onMissing: () => this.onTurnMissing(turn),
            onTrouble: () => undefined,
          },
          { order, justPaid: justAsked || paidHere },
        );
      }
      return turn;
    },

    applyTurn(turn: TurnState, order: Turn, restarted: boolean) {
      const state = states.get(this);
      if (!state) return;
      turn.order = order;
      if (restarted) turn.restarted = true;
      turn.reveal.receive(order.output);
      this.renderTurn(turn);
      this.refreshComposer();
    },

    /** A turn's order is gone: the conversation was deleted meanwhile (on another phone). */
    onTurnMissing(turn: TurnState) {
      const state = states.get(this);
      if (state && state.turns.includes(turn)) this.showMissing(state);
    },

    showMissing(state: ConversationState) {
      state.missing = true;
      for (const turn of state.turns) turn.follower?.dispose();
      this.stopTicker(state);
      setTitle(this.data.t.conversationTitle);
      this.setData({ loading: false, missing: true, turns: [] });
    },

    /** Renders a turn's text as Markdown, sending only the blocks that changed. */
    showText(turn: TurnState, text: string) {
      const state = states.get(this);
      if (!state) return;
      const index = state.turns.indexOf(turn);
      if (index < 0) return;
      const order = turn.order;
      const complete = text === order.output && (order.outputComplete || isTerminalStatus(order.status));
      const blocks = answerBlocks(text, complete);
      const updates = blockUpdates(turn.blocks, blocks);
      turn.blocks = blocks;
      const prefixed: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(updates)) prefixed[`turns[${index}].${key}`] = value;
      const newest = index === state.turns.length - 1;
      if (newest && text.length < turn.shownChars) state.bottom.contentShrank();
      if (Object.keys(prefixed).length > 0) this.setData(prefixed);
      if (newest && text.length > turn.shownChars) state.bottom.contentGrew();
      turn.shownChars = text.length;
      // The last piece is on screen: "completed", copy and report may show now.
      if (!turn.reveal.revealing && order.status === 'completed') this.renderTurn(turn);
    },

    turnView(turn: TurnState): TurnView {
      const { t } = this.data;
      const state = states.get(this);
      const order = turn.order;
      const phase = orderPhase(order, turn.paidHere, !turn.reveal.revealing);
      const failed = phase === 'refunding' || phase === 'refunded';
      return {
        orderId: order.orderId,
        question: questionSegments(order.prompt, t),
        folds: questionFolds(order.prompt),
        expanded: turn.expanded,
        blocks: turn.blocks,
        phase,
        status: statusText(phase, order, t),
        spinning: phase === 'confirming' || phase === 'writing' || phase === 'refunding',
        // Said while the new answer is written; once it is complete, the answer speaks for itself.
        notice: turn.restarted && phase === 'writing' ? t.answerRestarted : '',
        truncated: order.truncated === true && phase === 'completed',
        explain: explainText(phase, order, t),
        returned: failed ? returnedLines(order, t, state?.catalog?.supportContact ?? '') : [],
        paid: phase === 'completed' ? paidShortText(order, t) : '',
      };
    },

    /** Every turn afresh (loading, a new turn). */
    renderTurns() {
      const state = states.get(this);
      if (!state) return;
      const views = state.turns.map((turn) => this.turnView(turn));
      const shown = this.data.turns as unknown as Array<Record<string, unknown>>;
      if (shown.length > views.length) {
        this.setData({ turns: views });
      } else {
        // Only what changed: a turn's answer is sent again only when it is new to the page.
        const updates: Record<string, unknown> = {};
        views.forEach((view, index) => Object.assign(updates, index < shown.length ? changedData(shown[index], { ...view }, `turns[${index}].`) : { [`turns[${index}]`]: view }));
        if (Object.keys(updates).length > 0) this.setData(updates);
      }
      state.bottom.contentGrew();
      this.tick(state);
    },

    /** One turn's state and status, without its blocks (showText sends those). */
    renderTurn(turn: TurnState) {
      const state = states.get(this);
      if (!state) return;
      const index = state.turns.indexOf(turn);
      if (index < 0) return;
      const { blocks: _blocks, ...view } = this.turnView(turn);
      void _blocks;
      const shown = (this.data.turns as unknown as Array<Record<string, unknown>>)[index];
      const updates = changedData(shown, view, `turns[${index}].`);
      if (Object.keys(updates).length > 0) this.setData(updates);
      // A status, notice, copy button or refund message may have made the newest turn taller.
      if (index === state.turns.length - 1) state.bottom.contentGrew();
      this.tick(state);
    },

    /** Keeps the "writing… (n s)" counters moving while a turn is written and the page is shown. */
    tick(state: ConversationState) {
      const writing = state.turns.some((turn) => orderPhase(turn.order, false, !turn.reveal.revealing) === 'writing');
      if (writing && state.visible && state.ticker === null) {
        state.ticker = setInterval(() => {
          const updates: Record<string, unknown> = {};
          state.turns.forEach((turn, index) => {
            const phase = orderPhase(turn.order, false, !turn.reveal.revealing);
            if (phase === 'writing') updates[`turns[${index}].status`] = statusText(phase, turn.order, this.data.t);
          });
          if (Object.keys(updates).length > 0) this.setData(updates);
          else this.stopTicker(state);
        }, 1000) as unknown as number;
      } else if (!writing) {
        this.stopTicker(state);
      }
    },

    stopTicker(state: ConversationState) {
      if (state.ticker === null) return;
      clearInterval(state.ticker);
      state.ticker = null;
    },

    /** The question box: the tier it is asked with, its count and limit, and what to do when it is too long. */
    refreshComposer() {
      const state = states.get(this);
      if (!state) return;
      const { t, locale, draft, busy } = this.data;
      const tiers = state.catalog?.tiers ?? [];
      const tier = tiers.find((item) => item.id === state.tierId);
      const length = promptLength(draft);
      const overLimit = tier !== undefined && length > tier.promptLimit;
      const bigger = overLimit ? tierForLength(tiers, state.tierId, length) : null;
      const last = state.turns[state.turns.length - 1];
      // One answer at a time: the next question waits until the last answer is in (or failed).
      const answering = last !== undefined && (last.order.status === 'pending_payment' || last.order.status === 'paid' || last.order.status === 'generating');
      const composer = {
        countText: tier ? format(t.followUpTier, { tier: localized(tier.title, locale), length, limit: tier.promptLimit }) : '',
        overLimit,
        limitMessage: overLimit && tier ? format(t.followUpTooLong, { length, limit: tier.promptLimit, tier: localized(tier.title, locale) }) : '',
        suggestion: bigger ? format(t.switchTier, { tier: localized(bigger.title, locale), limit: bigger.promptLimit }) : '',
        suggestedTierId: bigger ? bigger.id : '',
        canSend: !busy && !answering && !overLimit && draft.trim().length > 0 && state.tierId !== '' && !state.missing,
        sendLabel: busy ? t.sending : !tier ? t.send : this.payMode() === 'virtual' ? format(t.sendTokens, { tokens: tier.priceTokens }) : format(t.sendPrice, { price: yuanFromFen(tier.priceFen) }),
        notice: state.notice ? state.notice(t) : '',
      };
      const changed = changedData(this.data as unknown as Record<string, unknown>, composer);
      if (Object.keys(changed).length === 0) return;
      this.setData(changed);
      // The box's count, notice or suggestion may have made the end of the page lower.
      state.bottom.contentGrew();
    },

    /** How answers are paid: listTiers' word once the catalog is in, the last one seen until then. */
    payMode(): PayMode {
      return states.get(this)?.catalog?.payMode ?? knownPayMode();
    },

    /** A question kept for this conversation while the user topped up: back in the box. */
    takeKeptQuestion() {
      const state = states.get(this);
      const kept = keptQuestion();
      if (!state || !kept || (kept.conversationId ?? '') !== state.conversationId || this.data.draft.trim() !== '') return;
      state.tierId = kept.tier;
      this.setData({ draft: kept.prompt });
      this.refreshComposer();
    },

    onDraftInput(event: WechatMiniprogram.Input) {
      const state = states.get(this);
      if (state) state.notice = null;
      this.setData({ draft: event.detail.value });
      this.refreshComposer();
    },

    /** One tap to the tier that takes the question; the question stays in the box. */
    onSwitchTier() {
      const state = states.get(this);
      const id = this.data.suggestedTierId;
      if (!state || !id) return;
      state.tierId = id;
      state.notice = null;
      this.refreshComposer();
    },

    async onSend() {
      const state = states.get(this);
      if (!state || !this.data.canSend) return;
      const prompt = this.data.draft;
      const tier = state.tierId;
      state.notice = null;
      this.setData({ busy: true });
      this.refreshComposer();
      try {
        if (this.payMode() === 'wxpay') await this.buyFollowUp(state, prompt, tier);
        else await this.askFollowUp(state, prompt, tier);
      } finally {
        if (states.get(this) === state) {
          this.setData({ busy: false });
          this.refreshComposer();
        }
      }
    },

    /** Virtual payment: the question is paid with tokens and comes back paid, with no sheet. */
    async askFollowUp(state: ConversationState, prompt: string, tier: string) {
      const answer = await askWithTokens({ prompt, tier, ...(state.conversationId ? { conversationId: state.conversationId } : {}) });
      if (states.get(this) !== state) return;
      if (answer.ok) this.asked(state, answer.order, prompt, false);
      else this.explainAskFailure(state, answer.error, prompt, tier);
    },

    /**
     * wxpay: there are no tokens, so the follow-up is a purchase of its own, paid on WeChat Pay's sheet
     * at once. A sheet the user did not pay cancels the order, so that nothing waits for payment
     * behind the conversation, and the question stays in the box.
     */
    async buyFollowUp(state: ConversationState, prompt: string, tier: string) {
      const answer = await cloudApi().createOrder({ prompt, tier, ...(state.conversationId ? { conversationId: state.conversationId } : {}), ...platformField() });
      if (states.get(this) !== state) return;
      if (!answer.ok) {
        this.explainAskFailure(state, answer.error, prompt, tier);
        return;
      }
      const payment = answer.payment;
      const outcome = payment && !isVirtualPayment(payment) ? await openPaymentSheet(payment) : null;
      if (states.get(this) !== state) return;
      if (outcome?.kind === 'paid') {
        this.asked(state, answer.order, prompt, true);
        return;
      }
      const cancel = await cloudApi().cancelOrder({ orderId: answer.order.orderId });
      if (states.get(this) !== state) return;
      const current = cancel.ok ? cancel.order : (cancel.error as ErrorBody & ActivePaymentDetails).order;
      if (current && current.status !== 'pending_payment' && current.status !== 'closed') {
        // Paid after all (the sheet's answer was lost): the turn is there.
        this.asked(state, current, prompt, true);
        return;
      }
      state.notice = outcome?.kind === 'cancelled' ? (t) => t.followUpPayCancelled : (t) => t.followUpPayFailed;
    },

    /** The question became a turn of this conversation: shown at once, followed, and the box emptied. */
    asked(state: ConversationState, order: ClientOrder, prompt: string, paidHere: boolean) {
      forgetKeptQuestion(state.conversationId);
      if (!state.conversationId && order.conversationId) {
        // The first question started the conversation: from now on the page is that conversation's.
        state.conversationId = order.conversationId;
        setTitle(questionSegments(prompt, this.data.t).map((part) => part.text).join(''));
        this.setData({ isNew: false });
      }
      const turn = this.turnState(order, true, paidHere);
      state.turns.push(turn);
      this.setData({ draft: '' });
      this.renderTurns();
      turn.reveal.receive(order.output);
      if (state.visible) turn.follower?.start();
      state.bottom.follow();
    },

    /** WeChat's page scroll event (methods of a Component page): a move up stops following the answer. */
    onPageScroll(event: WechatMiniprogram.Page.IPageScrollOption) {
      states.get(this)?.bottom.pageScrolled(event.scrollTop);
    },

    /** WeChat's reach-bottom event: back at the end while the newest answer is written, it is followed again. */
    onReachBottom() {
      const state = states.get(this);
      const newest = state?.turns[state.turns.length - 1];
      if (!state || !newest) return;
      state.bottom.reachedBottom(newest.reveal.revealing || stillMoving(newest.order));
    },

    explainAskFailure(state: ConversationState, error: ErrorBody, prompt: string, tier: string) {
      const code = error.code as string;
      if (code === 'INSUFFICIENT_BALANCE' && !paymentShownHere()) {
        // Nothing may be sold on this phone: WeChat's words for an unavailable feature, and the question stays.
        state.notice = (t) => t.iosUnavailable;
        return;
      }
      if (code === 'INSUFFICIENT_BALANCE') {
        const details = error as ErrorBody & InsufficientBalanceDetails;
        keepQuestionForTopUp({
          prompt,
          tier,
          ...(state.conversationId ? { conversationId: state.conversationId } : {}),
          ...(typeof details.priceTokens === 'number' ? { priceTokens: details.priceTokens } : {}),
          ...(typeof details.balance === 'number' ? { balance: details.balance } : {}),
        });
        openPage(TOP_UP_ROUTE);
        this.refreshComposer();
        return;
      }
      if (code === 'NOT_FOUND') {
        this.showMissing(state);
        return;
      }
      if (code === 'PROMPT_TOO_LONG' && typeof error.limit === 'number' && typeof error.length === 'number') {
        const values = { length: error.length, limit: error.limit };
        const title = state.catalog?.tiers.find((item) => item.id === tier)?.title;
        state.notice = (t) => format(t.followUpTooLong, { ...values, tier: title ? localized(title, this.data.locale) : tier });
      } else {
        state.notice = (t) => errorMessage(code, t);
      }
      this.refreshComposer();
    },

    onToggleQuestion(event: WechatMiniprogram.BaseEvent<Record<string, never>, { index?: number }>) {
      const state = states.get(this);
      const turn = state?.turns[Number(event.currentTarget.dataset.index)];
      if (!state || !turn) return;
      turn.expanded = !turn.expanded;
      this.setData({ [`turns[${state.turns.indexOf(turn)}].expanded`]: turn.expanded });
    },

    /** Copies one answer as readable text with the AI label; WeChat shows its own "copied" toast. */
    async onCopy(event: WechatMiniprogram.BaseEvent<Record<string, never>, { index?: number }>) {
      const state = states.get(this);
      const turn = state?.turns[Number(event.currentTarget.dataset.index)];
      if (!state || !turn) return;
      state.notice = null;
      this.refreshComposer();
      const failure = await copyText(copyableAnswer(turn.order.output, this.data.t.aiLabelInCopy));
      if (!failure) return;
      state.notice = refusedPrivacy(failure) ? (t) => t.copyRefused : (t) => t.copyFailed;
      this.refreshComposer();
    },

    onOpenReport(event: WechatMiniprogram.BaseEvent<Record<string, never>, { index?: number }>) {
      const state = states.get(this);
      const turn = state?.turns[Number(event.currentTarget.dataset.index)];
      if (!turn) return;
      this.setData({ reportOpen: true, reportOrderId: turn.order.orderId });
    },

    onReportClosed() {
      this.setData({ reportOpen: false });
    },

    async onDelete() {
      const state = states.get(this);
      if (!state || !state.conversationId || this.data.busy) return;
      const { t } = this.data;
      if (!(await confirmAction(t.deleteConfirm, t.deleteYes, t.confirmNo))) return;
      this.setData({ busy: true });
      const answer = await cloudApi().deleteConversation({ conversationId: state.conversationId });
      this.setData({ busy: false });
      if (!answer.ok && answer.error.code !== 'NOT_FOUND') {
        const code = answer.error.code;
        state.notice = (m) => errorMessage(code, m);
        this.refreshComposer();
        return;
      }
      // Gone on the server; nothing of it stays on this phone either.
      forgetKeptQuestion(state.conversationId);
      for (const turn of state.turns) turn.follower?.dispose();
      toast(t.conversationDeleted);
      this.leave();
    },

    /** Back to the page below (history), or home when this page was opened first. */
    leave() {
      if (openedFirst()) goHome();
      else wx.navigateBack({ delta: 1, fail: () => goHome() });
    },

    onRetryLoad() {
      const state = states.get(this);
      if (state) void this.load(state);
    },

    onOpenHistory() {
      openPage('/pages/history/history');
    },

    onGoHome() {
      goHome();
    },
  },
});
