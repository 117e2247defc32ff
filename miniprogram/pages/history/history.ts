/** The user's orders, newest first, a page at a time; each opens its order page. */
import { cloudApi } from '../../services/cloud';
import { dateTime, orderPageUrl } from '../../services/format';
import { currentLocale, errorMessage, messages, type Locale, type Messages } from '../../services/i18n';
import { openPage, setTitle } from '../../services/ui';
import { ensureTierTitles, tierTitle } from '../../services/tierNames';
import { answerBlocks, nodesText } from '../../services/markdown';
import { paidShortText, returnedText } from '../../services/paid';
import { questionSegments, type QuestionSegment } from '../../services/question';
import type { ClientOrder } from '../../services/types';

export const HISTORY_PAGE_SIZE = 10;

interface OrderRow {
  orderId: string;
  tierId: string;
  statusText: string;
  status: string;
  /** What was paid: "5 代币" or "¥0.50" ('' where no payment may be shown). */
  paidText: string;
  tierTitle: string;
  createdText: string;
  question: QuestionSegment[];
  preview: string;
}

function statusText(order: ClientOrder, t: Messages): string {
  switch (order.status) {
    case 'pending_payment':
      return t.waitingPayment;
    case 'paid':
      return t.paidStatus;
    case 'generating':
      return t.generatingStatus;
    case 'completed':
      return t.completed;
    case 'refunding':
      return t.refunding;
    case 'refunded':
      return returnedText(order, t);
    case 'closed':
      return t.closed;
  }
}

function row(order: ClientOrder, t: Messages, locale: Locale): OrderRow {
  return {
    orderId: order.orderId,
    tierId: order.tier,
    status: order.status,
    statusText: statusText(order, t),
    paidText: paidShortText(order, t),
    tierTitle: tierTitle(order.tier, locale),
    createdText: dateTime(order.createdAt),
    question: questionSegments(order.prompt, t),
    // The start of the answer as a reader sees it: Markdown rendered to plain text.
    preview: answerBlocks(order.output, order.outputComplete)
      .map((block) => nodesText(block.nodes))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim(),
  };
}

Component({
  data: {
    locale: 'zh' as Locale,
    t: messages('zh'),
    orders: [] as OrderRow[],
    /** null once the last page was read. */
    nextCursor: null as string | null,
    loadedOnce: false,
    loading: false,
    notice: '',
  },

  lifetimes: {
    attached() {
      const locale = currentLocale();
      const t = messages(locale);
      this.setData({ locale, t });
      setTitle(t.historyTitle);
      void this.loadFirstPage();
      void ensureTierTitles().then((known) => {
        if (known) this.renameTiers();
      });
    },
  },

  methods: {
    /** The first page again, e.g. on pull-down or when the page opens. */
    async loadFirstPage() {
      if (this.data.loading) return;
      await this.loadPage(undefined);
    },

    async loadMore() {
      if (this.data.loading || this.data.nextCursor === null) return;
      await this.loadPage(this.data.nextCursor);
    },

    async loadPage(cursor: string | undefined) {
      const { t, locale } = this.data;
      this.setData({ loading: true, notice: '' });
      const answer = await cloudApi().listOrders(cursor === undefined ? { limit: HISTORY_PAGE_SIZE } : { cursor, limit: HISTORY_PAGE_SIZE });
      if (!answer.ok) {
        this.setData({ loading: false, notice: errorMessage(answer.error.code, t) });
        return;
      }
      const rows = answer.orders.map((order) => row(order, t, locale));
      this.setData({
        orders: cursor === undefined ? rows : this.data.orders.concat(rows),
        nextCursor: answer.nextCursor,
        loadedOnce: true,
        loading: false,
      });
    },

    /** Fills in tier titles that arrived after the rows were shown. */
    renameTiers() {
      const { locale } = this.data;
      const orders = this.data.orders.map((item) => ({ ...item, tierTitle: item.tierTitle || tierTitle(item.tierId, locale) }));
      this.setData({ orders });
    },

    onReachBottom() {
      void this.loadMore();
    },

    onPullDownRefresh() {
      void this.loadFirstPage().then(() => wx.stopPullDownRefresh({ fail: () => undefined }));
    },

    onOpenOrder(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const id = event.currentTarget.dataset.id;
      if (typeof id === 'string' && id) openPage(orderPageUrl(id));
    },
  },
});
