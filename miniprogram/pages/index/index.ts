/**
 * Home: choose a tier, write a prompt, pay. Prices, limits and the payment parameters all come
 * from the server; this page only shows them and refuses what the server would refuse anyway.
 */
import { cloudApi } from '../../services/cloud';
import { orderPageUrl, promptLength, yuanFromFen } from '../../services/format';
import { currentLocale, errorMessage, format, localized, messages, setLocale, type Locale } from '../../services/i18n';
import { confirmAction, openPage, setTitle, toast } from '../../services/ui';
import { askToSubscribe, openPaymentSheet } from '../../services/payment';
import { rememberTiers } from '../../services/tierNames';
import type { ActivePaymentDetails, ErrorBody, RequestPaymentParams, Tier } from '../../services/types';

interface TierView {
  id: string;
  title: string;
  summary: string;
  priceText: string;
  modelFamily: string;
  limitText: string;
  selected: boolean;
}

/** An order created here and not paid yet: it can be paid again with the same parameters, or cancelled. */
interface PendingOrder {
  orderId: string;
  amountText: string;
  payment: RequestPaymentParams;
}

/** Server data that the template does not render, kept per page instance. */
const tiersByPage = new WeakMap<object, Tier[]>();

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
    showSubscribeHint: false,
    busy: false,
    canPay: false,
    payLabel: '',
    notice: '',
    pending: null as PendingOrder | null,
  },

  lifetimes: {
    attached() {
      this.applyLocale(currentLocale());
      void this.loadTiers();
    },
  },

  pageLifetimes: {
    show() {
      void this.recheckPending();
    },
  },

  methods: {
    applyLocale(locale: Locale) {
      this.setData({ locale, t: messages(locale) });
      setTitle(messages(locale).appTitle);
      this.refresh();
    },

    async loadTiers() {
      this.setData({ loadingTiers: true, tiersError: '' });
      const answer = await cloudApi().listTiers();
      if (!answer.ok) {
        this.setData({ loadingTiers: false, tiersError: errorMessage(answer.error.code, this.data.t) });
        return;
      }
      tiersByPage.set(this, answer.tiers);
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
      return (tiersByPage.get(this) ?? []).find((tier) => tier.id === this.data.selectedTierId);
    },

    /** Recomputes everything the template shows from the tiers, the prompt and the page state. */
    refresh() {
      const { t, locale } = this.data;
      const tiers = tiersByPage.get(this) ?? [];
      const tier = this.selectedTier();
      const length = promptLength(this.data.prompt);
      const limit = tier ? tier.promptLimit : 0;
      const overLimit = tier !== undefined && length > limit;
      const hasPrompt = this.data.prompt.trim().length > 0;
      this.setData({
        tiers: tiers.map((item) => ({
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
        showSubscribeHint: tier !== undefined && tier.longRunning && this.data.subscribeTemplateId !== '',
        canPay: tier !== undefined && hasPrompt && !overLimit && !this.data.busy && this.data.pending === null,
        payLabel: this.data.busy ? t.paying : tier ? format(t.pay, { price: yuanFromFen(tier.priceFen) }) : '',
      });
    },

    onSelectTier(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const id = event.currentTarget.dataset.id;
      if (typeof id !== 'string' || this.data.busy) return;
      this.setData({ selectedTierId: id });
      this.refresh();
    },

    onPromptInput(event: WechatMiniprogram.Input) {
      this.setData({ prompt: event.detail.value });
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

    async onPay() {
      const tier = this.selectedTier();
      if (this.data.busy || this.data.pending !== null || !tier) return;
      const { t } = this.data;
      if (this.data.prompt.trim().length === 0) {
        this.setData({ notice: t.promptEmpty });
        return;
      }
      if (this.data.overLimit) {
        this.setData({ notice: this.data.limitMessage });
        return;
      }
      // Asked before anything is awaited: WeChat only shows the subscribe dialog from a tap.
      const templateId = this.data.subscribeTemplateId;
      const subscribing = tier.longRunning && templateId !== '' ? askToSubscribe(templateId) : Promise.resolve(false);
      this.setData({ notice: '' });
      this.setBusy(true);
      try {
        const subscribe = await subscribing;
        const answer = await cloudApi().createOrder({ prompt: this.data.prompt, tier: tier.id, subscribe });
        if (!answer.ok) {
          this.explainCreateFailure(answer.error);
          return;
        }
        await this.pay({ orderId: answer.order.orderId, amountText: yuanFromFen(answer.order.amountFen), payment: answer.payment });
      } finally {
        this.setBusy(false);
      }
    },

    explainCreateFailure(error: ErrorBody) {
      const { t } = this.data;
      if (error.code === 'ACTIVE_PAYMENT_EXISTS') {
        const details = error as ErrorBody & ActivePaymentDetails;
        if (details.order) {
          toast(t.activePaymentExists);
          openPage(orderPageUrl(details.order.orderId));
          return;
        }
      }
      if (error.code === 'PROMPT_TOO_LONG' && typeof error.limit === 'number' && typeof error.length === 'number') {
        this.setData({ notice: format(t.promptTooLong, { length: error.length, limit: error.limit }) });
        return;
      }
      this.setData({ notice: errorMessage(error.code, t) });
    },

    async pay(order: PendingOrder) {
      const outcome = await openPaymentSheet(order.payment);
      const { t } = this.data;
      if (outcome.kind === 'paid') {
        this.setData({ pending: null, prompt: '', notice: '' });
        openPage(orderPageUrl(order.orderId, true));
        return;
      }
      const notice = outcome.kind === 'cancelled' ? t.payCancelled : format(t.payFailed, { reason: outcome.reason });
      this.setData({ pending: order, notice });
    },

    /** Back on this page: the unpaid order may have been paid or cancelled elsewhere meanwhile. */
    async recheckPending() {
      const pending = this.data.pending;
      if (!pending || this.data.busy) return;
      const answer = await cloudApi().getOrder({ orderId: pending.orderId });
      if (answer.ok && answer.order.status !== 'pending_payment' && this.data.pending === pending) {
        this.setData({ pending: null, notice: '' });
        this.refresh();
      }
    },

    async onPayAgain() {
      const pending = this.data.pending;
      if (this.data.busy || !pending) return;
      this.setBusy(true);
      try {
        await this.pay(pending);
      } finally {
        this.setBusy(false);
      }
    },

    async onCancelPending() {
      const pending = this.data.pending;
      if (this.data.busy || !pending) return;
      const { t } = this.data;
      this.setBusy(true);
      try {
        if (!(await confirmAction(t.cancelConfirm, t.confirmYes, t.confirmNo))) return;
        const answer = await cloudApi().cancelOrder({ orderId: pending.orderId });
        if (answer.ok) {
          this.setData({ pending: null, notice: t.orderCancelled });
          toast(t.orderCancelled);
          return;
        }
        const current = (answer.error as ErrorBody & ActivePaymentDetails).order;
        if (current && current.status !== 'pending_payment') {
          // It was paid after all (or closed meanwhile): the order page tells the truth.
          this.setData({ pending: null, notice: '' });
          openPage(orderPageUrl(current.orderId));
          return;
        }
        this.setData({ notice: errorMessage(answer.error.code, t) });
      } finally {
        this.setBusy(false);
      }
    },
  },
});
