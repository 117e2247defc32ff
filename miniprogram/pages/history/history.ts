/**
 * The user's conversations, newest activity first (title from the first question, how many turns,
 * last activity), a page at a time; each opens its conversation. A second tab keeps the single
 * orders (what was paid, refunds, a preview of each answer with its 「AI生成」 label), each opening
 * its order page, as subscribe messages and shared links do.
 */
import { cloudApi } from '../../services/cloud';
import { conversationPageUrl, dateTime, orderPageUrl } from '../../services/format';
import { currentLocale, errorMessage, format, messages, type Locale, type Messages } from '../../services/i18n';
import { openPage, setTitle } from '../../services/ui';
import { ensureTierTitles, tierTitle } from '../../services/tierNames';
import { answerBlocks, nodesText } from '../../services/markdown';
import { paidShortText, returnedHeadline } from '../../services/paid';
import { questionSegments, type QuestionSegment } from '../../services/question';
import type { ClientOrder, ConversationSummary } from '../../services/types';

export const HISTORY_PAGE_SIZE = 10;

type Tab = 'conversations' | 'orders';

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

interface ConversationRow {
  conversationId: string;
  title: QuestionSegment[];
  meta: string;
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
    case 'refunded':
      return returnedHeadline(order, t);
    case 'closed':
      return t.closed;
  }
}

function orderRow(order: ClientOrder, t: Messages, locale: Locale): OrderRow {
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

function conversationRow(conversation: ConversationSummary, t: Messages): ConversationRow {
  return {
    conversationId: conversation.conversationId,
    title: questionSegments(conversation.title, t),
    meta: format(t.conversationMeta, { turns: conversation.turns, time: dateTime(conversation.updatedAt) }),
  };
}

Component({
  data: {
    locale: 'zh' as Locale,
    t: messages('zh'),
    tab: 'conversations' as Tab,
    conversations: [] as ConversationRow[],
    orders: [] as OrderRow[],
    /** null once the last page of the tab was read. */
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

  pageLifetimes: {
    /** Back from a conversation that was deleted or grew: the list is read again. */
    show() {
      if (this.data.loadedOnce) void this.loadFirstPage();
    },
  },

  methods: {
    /** The first page again, e.g. on pull-down, when the page opens or the tab changes. */
    async loadFirstPage() {
      if (this.data.loading) return;
      await this.loadPage(undefined);
    },

    async loadMore() {
      if (this.data.loading || this.data.nextCursor === null) return;
      await this.loadPage(this.data.nextCursor);
    },

    async loadPage(cursor: string | undefined) {
      const { t, locale, tab } = this.data;
      this.setData({ loading: true, notice: '' });
      if (tab === 'conversations') {
        const answer = await cloudApi().listConversations(cursor === undefined ? {} : { cursor });
        if (this.data.tab !== tab) return;
        if (!answer.ok) {
          this.setData({ loading: false, notice: errorMessage(answer.error.code, t) });
          return;
        }
        const rows = answer.conversations.map((conversation) => conversationRow(conversation, t));
        this.setData({ conversations: cursor === undefined ? rows : this.data.conversations.concat(rows), nextCursor: answer.nextCursor, loadedOnce: true, loading: false });
        return;
      }
      const answer = await cloudApi().listOrders(cursor === undefined ? { limit: HISTORY_PAGE_SIZE } : { cursor, limit: HISTORY_PAGE_SIZE });
      if (this.data.tab !== tab) return;
      if (!answer.ok) {
        this.setData({ loading: false, notice: errorMessage(answer.error.code, t) });
        return;
      }
      const rows = answer.orders.map((order) => orderRow(order, t, locale));
      this.setData({ orders: cursor === undefined ? rows : this.data.orders.concat(rows), nextCursor: answer.nextCursor, loadedOnce: true, loading: false });
    },

    onChooseTab(event: WechatMiniprogram.BaseEvent<Record<string, never>, { tab?: string }>) {
      const tab = event.currentTarget.dataset.tab;
      if ((tab !== 'conversations' && tab !== 'orders') || tab === this.data.tab) return;
      this.setData({ tab, nextCursor: null, loadedOnce: false, loading: false, notice: '' });
      void this.loadFirstPage();
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

    onOpenConversation(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const id = event.currentTarget.dataset.id;
      if (typeof id === 'string' && id) openPage(conversationPageUrl(id));
    },

    onOpenOrder(event: WechatMiniprogram.BaseEvent<Record<string, never>, { id?: string }>) {
      const id = event.currentTarget.dataset.id;
      if (typeof id === 'string' && id) openPage(orderPageUrl(id));
    },
  },
});
