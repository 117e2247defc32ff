/**
 * Home: choose a tier, write a prompt, pay. Prices, limits and the payment parameters all come
 * from the server; this page only shows them and refuses what the server would refuse anyway.
 *
 * An order waiting for payment is bound to its question: while there is one, the page shows its
 * tier and question with "pay" and "cancel", and nothing else can be paid. Editing the question
 * or choosing another tier first asks to cancel that order; only then can a new one be created.
 * So a payment is never taken for a question the user cannot see.
 */
import { cloudApi } from '../../services/cloud';
import { takeDraft } from '../../services/draft';
import { orderPageUrl, promptLength, yuanFromFen } from '../../services/format';
import { currentLocale, errorMessage, format, localized, messages, setLocale, type Locale, type Messages } from '../../services/i18n';
import { confirmAction, openPage, setTitle, toast } from '../../services/ui';
import { askToSubscribe, openPaymentSheet } from '../../services/payment';
import { questionSegments, type QuestionSegment } from '../../services/question';
import { tierForLength } from '../../services/tierChoice';
import { rememberTiers } from '../../services/tierNames';
import type { ActivePaymentDetails, ClientOrder, ErrorBody, RequestPaymentParams, Tier } from '../../services/types';

interface TierView {
  id: string;
  title: string;
  summary: string;
  priceText: string;
  modelFamily: string;
  limitText: string;
  selected: boolean;
}

/** What the page shows of the order waiting for payment. */
interface PendingView {
  orderId: string;
  tierTitle: string;
  amountText: string;
  segments: QuestionSegment[];
}

/** The order waiting for payment, as the server returned it, with the parameters to pay it again. */
interface PendingOrder {
  order: ClientOrder;
  payment: RequestPaymentParams;
}

/** A notice is kept as how to write it, so that it follows the language. */
type Notice = (t: Messages) => string;

/** What a page instance keeps outside its rendered data. */
interface HomeState {
  tiers: Tier[];
  pending: PendingOrder | null;
  notice: Notice | null;
  /** A "cancel the pending order?" question is on screen. */
  asking: boolean;
}

const states = new WeakMap<object, HomeState>();

function stateOf(page: object): HomeState {
  let state = states.get(page);
  if (!state) {
    state = { tiers: [], pending: null, notice: null, asking: false };
    states.set(page, state);
  }
  return state;
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
  },

  lifetimes: {
    attached() {
      this.applyLocale(currentLocale());
      this.takeDraft();
      void this.loadTiers();
    },
  },

  pageLifetimes: {
    show() {
      this.takeDraft();
      void this.recheckPending();
    },
  },

  methods: {
    applyLocale(locale: Locale) {
      this.setData({ locale, t: messages(locale) });
      setTitle(messages(locale).appTitle);
      this.refresh();
    },

    /** A question handed over by "ask again" on an order page. */
    takeDraft() {
      const draft = takeDraft();
      if (!draft) return;
      stateOf(this).notice = null;
      const known = stateOf(this).tiers.some((tier) => tier.id === draft.tier);
      this.setData({ prompt: draft.prompt, ...(known || stateOf(this).tiers.length === 0 ? { selectedTierId: draft.tier } : {}) });
      this.refresh();
    },

    async loadTiers() {
      this.setData({ loadingTiers: true, tiersError: '' });
      const answer = await cloudApi().listTiers();
      if (!answer.ok) {
        this.setData({ loadingTiers: false, tiersError: errorMessage(answer.error.code, this.data.t) });
        return;
      }
      stateOf(this).tiers = answer.tiers;
      rememberTiers(answer.tiers);
      const firstTier = answer.tiers[0];
      const keep = answer.tiers.some((tier) => tier.id === this.data.selectedTierId);
      this.setData({
        loadingTiers: false,
        subscribeTemplateId: answer.subscribeTemplateId ?? '',
        selectedTierId: keep ? this.data.selectedTierId : firstTier ? firstTier.id : '',
      });
      this.refresh();
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
      const tier = this.selectedTier();
      const length = promptLength(this.data.prompt);
      const limit = tier ? tier.promptLimit : 0;
      const overLimit = tier !== undefined && length > limit;
      const hasPrompt = this.data.prompt.trim().length > 0;
      const pending = state.pending;
      const bigger = overLimit ? tierForLength(state.tiers, this.data.selectedTierId, length) : null;
      this.setData({
        tiers: state.tiers.map((item) => ({
          id: item.id,
          title: localized(item.title, locale),
          summary: localized(item.summary, locale),
          priceText: yuanFromFen(item.priceFen),
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
        canPay: tier !== undefined && hasPrompt && !overLimit && !this.data.busy && pending === null,
        payLabel: this.data.busy ? t.paying : tier ? format(t.pay, { price: yuanFromFen(tier.priceFen) }) : '',
        notice: state.notice ? state.notice(t) : '',
        pending: pending
          ? {
              orderId: pending.order.orderId,
              tierTitle: this.tierTitle(pending.order.tier),
              amountText: yuanFromFen(pending.order.amountFen),
              segments: questionSegments(pending.order.prompt, t),
            }
          : null,
      });
    },

    async onSelectTier(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const id = event.currentTarget.dataset.id;
      if (typeof id !== 'string' || this.data.busy || id === this.data.selectedTierId) return;
      const pending = stateOf(this).pending;
      if (pending && pending.order.tier !== id && !(await this.dropPending())) return;
      this.setData({ selectedTierId: id });
      this.setNotice(null);
    },

    async onPromptInput(event: WechatMiniprogram.Input) {
      const before = this.data.prompt;
      const value = event.detail.value;
      this.setData({ prompt: value });
      const state = stateOf(this);
      if (state.pending && !state.asking) {
        if (!(await this.dropPending())) {
          // Kept: the question on screen stays the one that order is for.
          this.setData({ prompt: before });
          this.refresh();
          return;
        }
      }
      state.notice = null;
      this.refresh();
    },

    /**
     * Asks whether to cancel the order waiting for payment, and cancels it. True when there is no
     * pending order any more (so the user may go on and create a new one).
     */
    async dropPending(): Promise<boolean> {
      const state = stateOf(this);
      const pending = state.pending;
      if (!pending) return true;
      if (state.asking) return false;
      const { t } = this.data;
      state.asking = true;
      try {
        const confirmed = await confirmAction(format(t.pendingEditConfirm, { tier: this.tierTitle(pending.order.tier) }), t.cancelAndEdit, t.keepPending);
        if (!confirmed) return false;
        return await this.cancelPending(pending);
      } finally {
        state.asking = false;
      }
    },

    /** Cancels the pending order on the server. True when it is gone (cancelled, or closed meanwhile). */
    async cancelPending(pending: PendingOrder): Promise<boolean> {
      const state = stateOf(this);
      this.setBusy(true);
      try {
        const answer = await cloudApi().cancelOrder({ orderId: pending.order.orderId });
        if (answer.ok) {
          if (state.pending === pending) state.pending = null;
          state.notice = null;
          toast(this.data.t.orderCancelled);
          return true;
        }
        const current = (answer.error as ErrorBody & ActivePaymentDetails).order;
        if (current && current.status !== 'pending_payment') {
          if (state.pending === pending) state.pending = null;
          // Paid after all: the order page tells the truth. Closed meanwhile: nothing to pay any more.
          if (current.status !== 'closed') {
            state.notice = null;
            openPage(orderPageUrl(current.orderId));
            return false;
          }
          return true;
        }
        const code = answer.error.code;
        state.notice = (t) => errorMessage(code, t);
        return false;
      } finally {
        this.setBusy(false);
      }
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
      const templateId = this.data.subscribeTemplateId;
      const subscribing = tier.longRunning && templateId !== '' ? askToSubscribe(templateId) : Promise.resolve(false);
      state.notice = null;
      this.setBusy(true);
      try {
        const subscribe = await subscribing;
        const answer = await cloudApi().createOrder({ prompt: this.data.prompt, tier: tier.id, subscribe });
        if (!answer.ok) {
          this.explainCreateFailure(answer.error);
          return;
        }
        await this.pay({ order: answer.order, payment: answer.payment });
      } finally {
        this.setBusy(false);
      }
    },

    explainCreateFailure(error: ErrorBody) {
      const state = stateOf(this);
      if (error.code === 'ACTIVE_PAYMENT_EXISTS') {
        const details = error as ErrorBody & ActivePaymentDetails;
        if (details.order && details.payment && details.order.status === 'pending_payment') {
          // That order is shown here, with its own question: pay it or cancel it.
          state.pending = { order: details.order, payment: details.payment };
          state.notice = (t) => t.activePaymentExists;
          this.refresh();
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

    async pay(pending: PendingOrder) {
      const state = stateOf(this);
      state.pending = pending;
      this.refresh();
      const outcome = await openPaymentSheet(pending.payment);
      if (outcome.kind === 'paid') {
        if (state.pending === pending) state.pending = null;
        state.notice = null;
        this.setData({ prompt: '' });
        this.refresh();
        openPage(orderPageUrl(pending.order.orderId, true));
        return;
      }
      this.setNotice(outcome.kind === 'cancelled' ? (t) => t.payCancelled : (t) => t.payFailed);
    },

    /** Back on this page: the unpaid order may have been paid or cancelled elsewhere meanwhile. */
    async recheckPending() {
      const state = stateOf(this);
      const pending = state.pending;
      if (!pending || this.data.busy) return;
      const answer = await cloudApi().getOrder({ orderId: pending.order.orderId });
      if (answer.ok && answer.order.status !== 'pending_payment' && state.pending === pending) {
        state.pending = null;
        state.notice = null;
        this.refresh();
      }
    },

    async onPayAgain() {
      const pending = stateOf(this).pending;
      if (this.data.busy || !pending) return;
      stateOf(this).notice = null;
      this.setBusy(true);
      try {
        await this.pay(pending);
      } finally {
        this.setBusy(false);
      }
    },

    async onCancelPending() {
      const state = stateOf(this);
      const pending = state.pending;
      if (this.data.busy || !pending || state.asking) return;
      const { t } = this.data;
      state.notice = null;
      this.refresh();
      state.asking = true;
      try {
        if (!(await confirmAction(t.cancelConfirm, t.confirmYes, t.confirmNo))) return;
      } finally {
        state.asking = false;
      }
      await this.cancelPending(pending);
      this.refresh();
    },
  },
});
