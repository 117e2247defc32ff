/**
 * Home: choose a tier, write a question, ask. Prices, balances, limits and the payment parameters
 * all come from the server; this page only shows them and refuses what the server would refuse anyway.
 *
 * Under virtual payment (the default) an answer is paid with tokens: asking with enough tokens
 * starts the answer at once, with no sheet; without enough, the top-up sheet offers the packs (and,
 * where the tier is sold as an item, that one answer) and the question stays where it is. Under
 * wxpay every answer is paid with wx.requestPayment, as before.
 *
 * An answered question opens its conversation (pages/conversation), where the answer is written
 * and follow-ups are asked; under wxpay each answer is its own purchase and opens the order page,
 * which confirms the payment and leads on to the conversation.
 *
 * The conversation page hands a follow-up it could not pay for here (services/handoff.ts): opened
 * with `?topUp=1`, the page shows the top-up sheet for that question, and once the tokens arrive (or
 * the user closes the sheet) goes back to the conversation, where the question is still in the box.
 *
 * The question being written and a purchase waiting for payment are kept in storage
 * (services/draft.ts), so both survive a reload. While a purchase waits, it is the one thing on the
 * page: its tier, its question, and two deliberate actions, pay or cancel. The question box and the
 * tiers are not shown meanwhile, so nothing can be typed beside it; cancelling puts the question
 * back in the box. A payment is never taken for a question the user cannot see.
 */
import { askWithTokens } from '../../services/ask';
import { awaitCredit } from '../../services/balance';
import { readCatalog } from '../../services/catalog';
import { cloudApi } from '../../services/cloud';
import { clearDraft, clearPendingPurchase, readDraft, readPendingPurchase, saveDraft, savePendingPurchase } from '../../services/draft';
import { conversationPageUrl, orderPageUrl, promptLength, yuanFromFen } from '../../services/format';
import { keptQuestion, type KeptQuestion } from '../../services/handoff';
import { currentLocale, errorMessage, format, localized, messages, payFailureMessage, setLocale, type Locale, type Messages } from '../../services/i18n';
import { withLogin } from '../../services/login';
import { askToSubscribe, openPaymentSheet } from '../../services/payment';
import { currentDevice, minimumPaymentFen, paymentShownHere, platformField } from '../../services/platform';
import { questionSegments, type QuestionSegment } from '../../services/question';
import { tierForLength } from '../../services/tierChoice';
import { rememberTiers } from '../../services/tierNames';
import { confirmAction, openPage, setTitle, toast } from '../../services/ui';
import { openVirtualPayment, payVirtually, type VirtualPayOutcome } from '../../services/virtualPayment';
import {
  isVirtualPayment,
  type ActivePaymentDetails,
  type ClientOrder,
  type ClientPayment,
  type CreateOrderResult,
  type ErrorBody,
  type Failure,
  type InsufficientBalanceDetails,
  type Outcome,
  type Pack,
  type PayMode,
  type Tier,
  type VirtualPaymentParams,
} from '../../services/types';

interface TierView {
  id: string;
  title: string;
  summary: string;
  /** "¥0.50" under wxpay; "5 代币" under virtual payment. */
  priceText: string;
  /** The item's price where the tier is also sold as an item; '' otherwise. */
  itemPriceText: string;
  modelFamily: string;
  limitText: string;
  selected: boolean;
}

interface PackView {
  packId: string;
  tokensText: string;
  priceText: string;
}

/** What the top-up sheet shows. */
interface TopUpView {
  needText: string;
  /** Topping up for a conversation's question: where the user goes once the tokens arrive. */
  handoffText: string;
  packs: PackView[];
  buyOneText: string;
}

/** What the page shows of the purchase waiting for payment. */
interface PendingView {
  orderId: string;
  tierTitle: string;
  amountText: string;
  segments: QuestionSegment[];
  canResume: boolean;
}

/** The purchase waiting for payment, with the question as the user typed it. */
interface PendingOrder {
  order: ClientOrder;
  /** wx.requestPayment's parameters (wxpay), which can pay again; a virtual payment's are single-use. */
  payment: ClientPayment | null;
  prompt: string;
}

/** A notice is kept as how to write it, so that it follows the language. */
type Notice = (t: Messages) => string;

/** The top-up sheet: opened by the user, or because the balance did not cover the answer. */
interface TopUpSheet {
  need: number | null;
}

/** What a page instance keeps outside its rendered data. */
interface HomeState {
  tiers: Tier[];
  packs: Pack[];
  payMode: PayMode | null;
  balance: number | null;
  balanceCall: Promise<number | null> | null;
  pending: PendingOrder | null;
  notice: Notice | null;
  topUp: TopUpSheet | null;
  /** A confirmation is on screen. */
  asking: boolean;
  /** The stored purchase was looked up once after the tiers loaded. */
  restored: boolean;
  /** A conversation's follow-up waiting for tokens (`?topUp=1`): the top-up is for it, then back to the conversation. */
  handoff: KeptQuestion | null;
}

type SheetOutcome = VirtualPayOutcome | { kind: 'failed'; reason: 'wxpay'; message: string };

const states = new WeakMap<object, HomeState>();

function stateOf(page: object): HomeState {
  let state = states.get(page);
  if (!state) {
    state = { tiers: [], packs: [], payMode: null, balance: null, balanceCall: null, pending: null, notice: null, topUp: null, asking: false, restored: false, handoff: null };
    states.set(page, state);
  }
  return state;
}

const money = (fen: number) => `¥${yuanFromFen(fen)}`;

/** Opens the sheet the parameters are for: virtual payment, or wx.requestPayment. */
async function openSheet(payment: ClientPayment): Promise<SheetOutcome> {
  if (isVirtualPayment(payment)) return openVirtualPayment(payment);
  const outcome = await openPaymentSheet(payment);
  return outcome.kind === 'failed' ? { kind: 'failed', reason: 'wxpay', message: outcome.reason } : outcome;
}

/** A purchase answer that carries no virtual payment parameters is a broken answer, not a sheet to open. */
function withVirtualPayment(answer: Outcome<CreateOrderResult>): Outcome<CreateOrderResult> {
  if (answer.ok && !(answer.payment && isVirtualPayment(answer.payment))) {
    const broken: Failure = { ok: false, error: { code: 'INTERNAL', message: 'the purchase came without its payment parameters' } };
    return broken;
  }
  return answer;
}

Component({
  properties: {},
  data: {
    locale: 'zh' as Locale,
    t: messages('zh'),
    loadingTiers: true,
    tiersError: '',
    tiers: [] as TierView[],
    selectedTierId: '',
    subscribeTemplateId: '',
    prompt: '',
    promptCountText: '',
    overLimit: false,
    limitMessage: '',
    /** Over the limit: the tier that takes the question, offered in one tap (the question kept). */
    suggestedTierId: '',
    suggestion: '',
    showSubscribeHint: false,
    busy: false,
    canPay: false,
    payLabel: '',
    notice: '',
    pending: null as PendingView | null,
    /** Virtual payment: the balance row and token prices. */
    virtual: false,
    balanceText: '',
    canTopUp: false,
    topUp: null as TopUpView | null,
    /** A phone that may show no payment, and too few tokens for the tier: WeChat's words for an unavailable feature. */
    unavailable: false,
  },

  lifetimes: {
    attached() {
      this.applyLocale(currentLocale());
      this.restoreDraft();
      void this.loadTiers();
    },
  },

  pageLifetimes: {
    show() {
      this.restoreDraft();
      void this.recheckPending();
      // Back from an answer: its tokens are spent; back from elsewhere: a top-up may have landed.
      if (stateOf(this).payMode === 'virtual' && !this.data.busy) void this.refreshBalance();
    },
  },

  methods: {
    /**
     * WeChat calls a Component page's onLoad with its query (Component 构造器 docs). `topUp` is read
     * only here: it is not a declared property, since `topUp` is also the sheet's rendered data.
     */
    onLoad(query: Record<string, string | undefined>) {
      if (query.topUp === '1') this.takeHandoff();
    },

    /** Opened by the conversation page for a question it could not pay for: the top-up sheet, for that question. */
    takeHandoff() {
      const state = stateOf(this);
      const kept = keptQuestion();
      if (!kept || state.handoff) return;
      state.handoff = kept;
      if (state.balance === null && typeof kept.balance === 'number') state.balance = kept.balance;
      state.topUp = { need: typeof kept.priceTokens === 'number' ? kept.priceTokens : null };
      state.notice = null;
      this.refresh();
    },

    /** Back to the conversation that handed its question over; it is still in that page's box. */
    returnToConversation() {
      const state = stateOf(this);
      state.handoff = null;
      state.topUp = null;
      this.refresh();
      wx.navigateBack({ delta: 1, fail: () => undefined });
    },

    applyLocale(locale: Locale) {
      this.setData({ locale, t: messages(locale) });
      setTitle(messages(locale).appTitle);
      this.refresh();
    },

    /** The question being written, from storage: after a reload, or handed over by "ask again". */
    restoreDraft() {
      const state = stateOf(this);
      const draft = readDraft();
      if (!draft || state.pending || this.data.busy) return;
      if (draft.prompt === this.data.prompt && draft.tier === this.data.selectedTierId) return;
      const known = state.tiers.some((tier) => tier.id === draft.tier);
      state.notice = null;
      this.setData({ prompt: draft.prompt, ...(known || state.tiers.length === 0 ? { selectedTierId: draft.tier } : {}) });
      this.refresh();
    },

    keepDraft() {
      saveDraft({ prompt: this.data.prompt, tier: this.data.selectedTierId });
    },

    async loadTiers() {
      this.setData({ loadingTiers: true, tiersError: '' });
      const answer = await cloudApi().listTiers();
      if (!answer.ok) {
        this.setData({ loadingTiers: false, tiersError: errorMessage(answer.error.code, this.data.t) });
        return;
      }
      const state = stateOf(this);
      state.tiers = answer.tiers;
      state.payMode = readCatalog(answer).payMode;
      // A server from before virtual payment sends no packs either.
      state.packs = state.payMode === 'virtual' && Array.isArray(answer.packs) ? answer.packs : [];
      rememberTiers(answer.tiers);
      const firstTier = answer.tiers[0];
      const keep = answer.tiers.some((tier) => tier.id === this.data.selectedTierId);
      this.setData({
        loadingTiers: false,
        subscribeTemplateId: answer.subscribeTemplateId ?? '',
        selectedTierId: keep ? this.data.selectedTierId : firstTier ? firstTier.id : '',
        virtual: state.payMode === 'virtual',
      });
      // Whether payment may be shown here depends on the mode: the messages follow it.
      this.applyLocale(this.data.locale);
      if (state.payMode === 'virtual') void this.refreshBalance();
      if (!state.restored) {
        state.restored = true;
        await this.restorePending();
      }
    },

    /** WeChat's balance, through the server; one read at a time. Null when it could not be read. */
    refreshBalance(): Promise<number | null> {
      const state = stateOf(this);
      if (state.balanceCall) return state.balanceCall;
      const call = withLogin((loginCode) => cloudApi().getBalance(loginCode ? { loginCode } : {})).then((answer) => {
        state.balanceCall = null;
        if (!answer.ok) return null;
        state.balance = answer.balance;
        this.refresh();
        return answer.balance;
      });
      state.balanceCall = call;
      return call;
    },

    selectedTier(): Tier | undefined {
      return stateOf(this).tiers.find((tier) => tier.id === this.data.selectedTierId);
    },

    tierTitle(id: string): string {
      const tier = stateOf(this).tiers.find((item) => item.id === id);
      return tier ? localized(tier.title, this.data.locale) : id;
    },

    setNotice(notice: Notice | null) {
      stateOf(this).notice = notice;
      this.refresh();
    },

    /** Recomputes everything the template shows from the tiers, the prompt and the page state. */
    refresh() {
      const { t, locale } = this.data;
      const state = stateOf(this);
      const virtual = state.payMode === 'virtual';
      const device = currentDevice();
      const shown = paymentShownHere(device);
      const floorFen = minimumPaymentFen(device);
      const tier = this.selectedTier();
      const length = promptLength(this.data.prompt);
      const limit = tier ? tier.promptLimit : 0;
      const overLimit = tier !== undefined && length > limit;
      const hasPrompt = this.data.prompt.trim().length > 0;
      const pending = state.pending;
      const short = virtual && tier !== undefined && state.balance !== null && state.balance < tier.priceTokens;
      // A tier is offered as an item only where it may be bought here (iOS: at least ¥1).
      const itemOnSale = (item: Tier) => virtual && shown && typeof item.productId === 'string' && item.priceFen >= floorFen;
      const topUp = state.topUp;
      const handoff = state.handoff;
      const need = topUp ? (topUp.need ?? (handoff ? (state.tiers.find((item) => item.id === handoff.tier)?.priceTokens ?? null) : null)) : null;
      const bigger = overLimit ? tierForLength(state.tiers, this.data.selectedTierId, length) : null;
      this.setData({
        tiers: state.tiers.map((item) => ({
          id: item.id,
          title: localized(item.title, locale),
          summary: localized(item.summary, locale),
          priceText: virtual ? format(t.tierTokens, { tokens: item.priceTokens }) : money(item.priceFen),
          itemPriceText: itemOnSale(item) ? format(t.tierItemPrice, { price: yuanFromFen(item.priceFen) }) : '',
          modelFamily: item.modelFamily,
          limitText: format(t.promptLimit, { limit: item.promptLimit }),
          selected: item.id === this.data.selectedTierId,
        })),
        promptCountText: tier ? format(t.promptCount, { length, limit }) : String(length),
        overLimit,
        limitMessage: overLimit ? format(t.promptTooLong, { length, limit }) : '',
        suggestedTierId: bigger ? bigger.id : '',
        suggestion: bigger ? format(t.switchTier, { tier: localized(bigger.title, locale), limit: bigger.promptLimit }) : '',
        showSubscribeHint: tier !== undefined && tier.longRunning && this.data.subscribeTemplateId !== '' && pending === null,
        canPay: tier !== undefined && hasPrompt && !overLimit && !this.data.busy && pending === null && !(short && !shown),
        payLabel: this.data.busy ? t.paying : !tier ? '' : virtual ? format(t.ask, { tokens: tier.priceTokens }) : format(t.pay, { price: yuanFromFen(tier.priceFen) }),
        notice: state.notice ? state.notice(t) : '',
        balanceText: state.balance === null ? t.balanceUnknown : format(t.balance, { balance: state.balance }),
        canTopUp: virtual && shown && state.packs.length > 0 && pending === null,
        unavailable: short && !shown && pending === null,
        topUp:
          topUp && shown && pending === null
            ? {
                needText: need !== null ? format(t.topUpNeed, { need, balance: state.balance ?? 0 }) : '',
                handoffText: handoff ? t.topUpForConversation : '',
                packs: state.packs
                  .filter((pack) => pack.priceFen >= floorFen)
                  .map((pack) => ({ packId: pack.packId, tokensText: format(t.packTokens, { tokens: pack.tokens }), priceText: format(t.packPrice, { price: yuanFromFen(pack.priceFen) }) })),
                // A handed-over follow-up is paid with tokens in its conversation: only packs are offered for it.
                buyOneText: !handoff && tier && itemOnSale(tier) && topUp.need !== null && hasPrompt && !overLimit ? format(t.buyOne, { price: yuanFromFen(tier.priceFen) }) : '',
              }
            : null,
        pending: pending
          ? {
              orderId: pending.order.orderId,
              tierTitle: this.tierTitle(pending.order.tier),
              amountText: shown ? money(pending.order.amountFen) : '',
              segments: questionSegments(pending.prompt, t),
              canResume: shown && (virtual || pending.payment !== null),
            }
          : null,
      });
    },

    onSelectTier(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const id = event.currentTarget.dataset.id;
      if (typeof id !== 'string' || this.data.busy || id === this.data.selectedTierId || stateOf(this).pending) return;
      this.setData({ selectedTierId: id });
      this.keepDraft();
      this.setNotice(null);
    },

    /** Typing only edits the question: there is no purchase beside the box to ask about. */
    onPromptInput(event: WechatMiniprogram.Input) {
      this.setData({ prompt: event.detail.value });
      this.keepDraft();
      stateOf(this).notice = null;
      this.refresh();
    },

    onSwitchLanguage() {
      const next: Locale = this.data.locale === 'zh' ? 'en' : 'zh';
      setLocale(next);
      this.applyLocale(next);
    },

    onOpenHistory() {
      openPage('/pages/history/history');
    },

    setBusy(busy: boolean) {
      this.setData({ busy });
      this.refresh();
    },

    onOpenTopUp() {
      if (this.data.busy) return;
      stateOf(this).topUp = { need: null };
      this.setNotice(null);
    },

    onCloseTopUp() {
      if (this.data.busy) return;
      const state = stateOf(this);
      state.notice = null;
      if (state.handoff) {
        this.returnToConversation();
        return;
      }
      state.topUp = null;
      this.refresh();
    },

    /** The primary button: ask with tokens (virtual payment) or pay for the answer (wxpay). */
    async onPay() {
      const tier = this.selectedTier();
      const state = stateOf(this);
      if (this.data.busy || state.pending !== null || !tier) return;
      if (this.data.prompt.trim().length === 0) {
        this.setNotice((t) => t.promptEmpty);
        return;
      }
      if (this.data.overLimit) return;
      // Asked before anything is awaited: WeChat only shows the subscribe dialog from a tap.
      const subscribing = this.subscribeFor(tier);
      state.notice = null;
      this.setBusy(true);
      try {
        if (state.payMode === 'virtual') await this.askWithTokens(tier, await subscribing);
        else await this.buyWithWxpay(tier, await subscribing);
      } finally {
        this.setBusy(false);
      }
    },

    subscribeFor(tier: Tier): Promise<boolean> {
      const templateId = this.data.subscribeTemplateId;
      return tier.longRunning && templateId !== '' ? askToSubscribe(templateId) : Promise.resolve(false);
    },

    /** Spends tokens: the order comes back paid, the answer starts, and its conversation opens. */
    async askWithTokens(tier: Tier, subscribe: boolean) {
      const state = stateOf(this);
      const prompt = this.data.prompt;
      const answer = await askWithTokens({ prompt, tier: tier.id, subscribe });
      if (!answer.ok) {
        if (answer.error.code === 'INSUFFICIENT_BALANCE') {
          const details = answer.error as ErrorBody & InsufficientBalanceDetails;
          if (typeof details.balance === 'number') state.balance = details.balance;
          const need = typeof details.priceTokens === 'number' ? details.priceTokens : tier.priceTokens;
          // Where nothing may be sold, WeChat's own words for an unavailable feature (`unavailable`); elsewhere, the packs.
          if (paymentShownHere()) state.topUp = { need };
          else if (state.balance === null) state.balance = 0;
          this.refresh();
          return;
        }
        this.explainCreateFailure(answer.error);
        return;
      }
      this.asked(answer.order, false, prompt);
    },

    /**
     * The question went to an order that is paid (or, for a purchase, whose sheet the user paid).
     * Under virtual payment its conversation opens, where the answer is written and the follow-ups
     * are asked with tokens; under wxpay (each answer a purchase of its own) the order page opens.
     */
    asked(order: ClientOrder, paidOnSheet: boolean, prompt: string) {
      const state = stateOf(this);
      state.pending = null;
      state.topUp = null;
      state.notice = null;
      clearPendingPurchase();
      this.questionAnswered(prompt);
      this.refresh();
      const conversation = state.payMode === 'virtual' && typeof order.conversationId === 'string' && order.conversationId !== '';
      openPage(conversation ? conversationPageUrl(order.conversationId, paidOnSheet ? order.orderId : '') : orderPageUrl(order.orderId, paidOnSheet));
    },

    /**
     * `prompt` is being answered: it leaves the box and storage. A different question the user wrote
     * meanwhile (kept while a purchase was shown) stays, and comes back into the box.
     */
    questionAnswered(prompt: string) {
      const draft = readDraft();
      if (draft && draft.prompt !== prompt) {
        this.setData({ prompt: draft.prompt });
        return;
      }
      clearDraft();
      this.setData({ prompt: '' });
    },

    /** wxpay: the order waits for payment and wx.requestPayment pays it. */
    async buyWithWxpay(tier: Tier, subscribe: boolean) {
      const prompt = this.data.prompt;
      const answer = await cloudApi().createOrder({ prompt, tier: tier.id, subscribe });
      if (!answer.ok) {
        this.explainCreateFailure(answer.error);
        return;
      }
      this.holdPending({ order: answer.order, payment: answer.payment ?? null, prompt });
      await this.payPending();
    },

    /** The purchase waiting for payment becomes the one thing on the page, and is kept for a reload. */
    holdPending(pending: PendingOrder) {
      stateOf(this).pending = pending;
      savePendingPurchase({ orderId: pending.order.orderId, prompt: pending.prompt, tier: pending.order.tier });
      this.refresh();
    },

    /** Opens the sheet of the purchase held, with the parameters the server issued for it. */
    async payPending() {
      const state = stateOf(this);
      const pending = state.pending;
      if (!pending?.payment) return;
      const outcome = await openSheet(pending.payment);
      this.afterSheet(pending, outcome);
    },

    afterSheet(pending: PendingOrder, outcome: SheetOutcome) {
      const state = stateOf(this);
      if (outcome.kind === 'paid') {
        this.asked(pending.order, true, pending.prompt);
        return;
      }
      if (state.pending !== pending) return;
      state.topUp = null;
      if (outcome.kind === 'cancelled') this.setNotice((t) => t.payCancelled);
      else if (outcome.reason === 'wxpay') this.setNotice((t) => t.payFailed);
      else {
        const { reason, errCode } = outcome;
        this.setNotice((t) => payFailureMessage(reason, errCode, t));
      }
    },

    /**
     * Virtual payment, one answer bought as an item: a new order for `prompt` waits for payment and
     * the sheet opens. A virtual payment's parameters open one sheet only ("每个订单号只能使用一次"), so
     * paying again after a cancelled sheet is a fresh order for the same question.
     */
    async buyOne(tier: Tier, prompt: string, subscribe: boolean) {
      const attempt = await payVirtually(
        async (loginCode) => {
          const answer = withVirtualPayment(await cloudApi().createOrder({ prompt, tier: tier.id, subscribe, payWith: 'purchase', ...platformField(), ...(loginCode ? { loginCode } : {}) }));
          if (answer.ok) this.holdPending({ order: answer.order, payment: null, prompt });
          return answer;
        },
        (issued) => issued.payment as VirtualPaymentParams,
        (issued) => this.dropPending(issued.order),
      );
      if (attempt.kind === 'refused') {
        this.explainCreateFailure(attempt.failure.error);
        return;
      }
      const pending = stateOf(this).pending;
      if (pending && pending.order.orderId === attempt.issued.order.orderId) this.afterSheet(pending, attempt.outcome);
    },

    async onBuyOne() {
      const tier = this.selectedTier();
      const state = stateOf(this);
      if (this.data.busy || state.pending !== null || !tier || this.data.overLimit || this.data.prompt.trim() === '') return;
      const subscribing = this.subscribeFor(tier);
      state.notice = null;
      this.setBusy(true);
      try {
        await this.buyOne(tier, this.data.prompt, await subscribing);
      } finally {
        this.setBusy(false);
      }
    },

    async onBuyPack(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const pack = stateOf(this).packs.find((item) => item.packId === event.currentTarget.dataset.id);
      if (!pack || this.data.busy) return;
      stateOf(this).notice = null;
      this.setBusy(true);
      try {
        await this.topUpWith(pack);
      } finally {
        this.setBusy(false);
      }
    },

    /** Buys a token pack; after the sheet, reads the balance until WeChat shows the tokens. */
    async topUpWith(pack: Pack) {
      const state = stateOf(this);
      const before = state.balance ?? (await this.refreshBalance());
      const attempt = await payVirtually(
        (loginCode) => cloudApi().createTopUp({ packId: pack.packId, ...platformField(), ...(loginCode ? { loginCode } : {}) }),
        (issued) => issued.topUp,
      );
      if (attempt.kind === 'refused') {
        const code = attempt.failure.error.code;
        this.setNotice((t) => errorMessage(code, t));
        return;
      }
      const outcome = attempt.outcome;
      if (outcome.kind === 'cancelled') {
        this.setNotice((t) => t.vpCancelled);
        return;
      }
      if (outcome.kind === 'failed') {
        const { reason, errCode } = outcome;
        this.setNotice((t) => payFailureMessage(reason, errCode, t));
        return;
      }
      this.setNotice((t) => t.topUpConfirming);
      const read = () => this.readBalanceNow();
      const { balance, credited } = before === null ? { balance: await read(), credited: false } : await awaitCredit(read, before + pack.tokens);
      if (balance !== null) state.balance = balance;
      if (credited && state.handoff) {
        // The question waits in its conversation: back there, with the news.
        toast(format(this.data.t.topUpDone, { tokens: pack.tokens }));
        this.returnToConversation();
        return;
      }
      state.topUp = null;
      this.setNotice(credited ? (t) => format(t.topUpDone, { tokens: pack.tokens }) : (t) => t.topUpSlow);
    },

    /** A fresh read, not one shared with a read that started before the payment. */
    async readBalanceNow(): Promise<number | null> {
      const state = stateOf(this);
      if (state.balanceCall) await state.balanceCall;
      return this.refreshBalance();
    },

    explainCreateFailure(error: ErrorBody) {
      const state = stateOf(this);
      if (error.code === 'ACTIVE_PAYMENT_EXISTS') {
        const details = error as ErrorBody & ActivePaymentDetails;
        if (details.order && details.order.status === 'pending_payment') {
          // That purchase is shown with its own question; what the user just wrote stays in storage.
          state.topUp = null;
          this.holdPending({ order: details.order, payment: details.payment && !isVirtualPayment(details.payment) ? details.payment : null, prompt: details.order.prompt });
          this.setNotice((t) => t.pendingKeptDraft);
          return;
        }
        if (details.order) {
          openPage(orderPageUrl(details.order.orderId));
          return;
        }
      }
      if (error.code === 'PROMPT_TOO_LONG' && typeof error.limit === 'number' && typeof error.length === 'number') {
        const values = { length: error.length, limit: error.limit };
        this.setNotice((t) => format(t.promptTooLong, values));
        return;
      }
      const code = error.code;
      this.setNotice((t) => errorMessage(code, t));
    },

    /**
     * Cancels an order waiting for payment on the server. True when it no longer waits and was not
     * paid (cancelled, or closed meanwhile); a paid one opens its page.
     */
    async letGo(order: ClientOrder): Promise<boolean> {
      const answer = await cloudApi().cancelOrder({ orderId: order.orderId });
      if (answer.ok) return true;
      const current = (answer.error as ErrorBody & ActivePaymentDetails).order;
      if (current && current.status === 'closed') return true;
      if (current && current.status !== 'pending_payment') {
        // Paid after all: the order page tells the truth.
        const held = stateOf(this).pending;
        this.asked(current, false, held && held.order.orderId === order.orderId ? held.prompt : order.prompt);
        return false;
      }
      const code = answer.error.code;
      this.setNotice((t) => errorMessage(code, t));
      return false;
    },

    /** Cancels the purchase held (letGo) and forgets it; its question stays the draft. */
    async dropPending(order: ClientOrder): Promise<boolean> {
      if (!(await this.letGo(order))) return false;
      const state = stateOf(this);
      if (state.pending?.order.orderId === order.orderId) {
        state.pending = null;
        clearPendingPurchase();
      }
      return true;
    },

    /** After a reload: the purchase kept in storage, as the server has it now. */
    async restorePending() {
      const state = stateOf(this);
      const kept = readPendingPurchase();
      if (!kept || state.pending) return;
      const answer = await cloudApi().getOrder({ orderId: kept.orderId });
      if (!answer.ok) {
        if (answer.error.code === 'NOT_FOUND') clearPendingPurchase();
        return;
      }
      if (answer.order.status === 'pending_payment') {
        state.pending = { order: answer.order, payment: answer.payment && !isVirtualPayment(answer.payment) ? answer.payment : null, prompt: kept.prompt };
        state.topUp = null;
        this.refresh();
        return;
      }
      clearPendingPurchase();
      if (answer.order.status !== 'closed') {
        this.questionAnswered(kept.prompt);
        this.setNotice((t) => t.pendingPaidMeanwhile);
      }
    },

    /** Back on this page: the purchase may have been paid or cancelled elsewhere meanwhile. */
    async recheckPending() {
      const state = stateOf(this);
      const pending = state.pending;
      if (!pending || this.data.busy) return;
      const answer = await cloudApi().getOrder({ orderId: pending.order.orderId });
      if (answer.ok && answer.order.status !== 'pending_payment' && state.pending === pending) {
        state.pending = null;
        clearPendingPurchase();
        if (answer.order.status === 'closed') {
          state.notice = null;
          this.restoreDraft();
        } else {
          state.notice = (t) => t.pendingPaidMeanwhile;
          this.questionAnswered(pending.prompt);
        }
        this.refresh();
      }
    },

    /** "Pay": wxpay pays the same order again; virtual payment buys the same question afresh. */
    async onPayAgain() {
      const state = stateOf(this);
      const pending = state.pending;
      if (this.data.busy || !pending) return;
      const tier = state.tiers.find((item) => item.id === pending.order.tier);
      const subscribing = state.payMode === 'virtual' && tier ? this.subscribeFor(tier) : Promise.resolve(false);
      state.notice = null;
      this.setBusy(true);
      try {
        if (pending.payment) {
          await this.payPending();
          return;
        }
        if (!tier) {
          this.setNotice((t) => t.errorUnknownTier);
          return;
        }
        const subscribe = await subscribing;
        if (!(await this.dropPending(pending.order))) return;
        await this.buyOne(tier, pending.prompt, subscribe);
      } finally {
        this.setBusy(false);
      }
    },

    /** Cancels the purchase, after asking; the question goes back into the box. */
    async onCancelPending() {
      const state = stateOf(this);
      const pending = state.pending;
      if (this.data.busy || !pending || state.asking) return;
      const { t } = this.data;
      state.notice = null;
      this.refresh();
      state.asking = true;
      try {
        if (!(await confirmAction(t.pendingCancelConfirm, t.confirmYes, t.confirmNo))) return;
      } finally {
        state.asking = false;
      }
      this.setBusy(true);
      try {
        if (!(await this.dropPending(pending.order))) return;
        // What the user wrote since (kept in storage) wins; otherwise the purchase's own question.
        const draft = readDraft() ?? { prompt: pending.prompt, tier: pending.order.tier };
        const known = state.tiers.some((tier) => tier.id === draft.tier);
        this.setData({ prompt: draft.prompt, ...(known ? { selectedTierId: draft.tier } : {}) });
        this.keepDraft();
        toast(draft.prompt === pending.prompt ? this.data.t.pendingCancelled : this.data.t.orderCancelled);
      } finally {
        this.setBusy(false);
      }
    },
  },
});
