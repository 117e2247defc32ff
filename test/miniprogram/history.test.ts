/** @jest-environment jsdom */
import { closePages, FakeCloud, TIERS, openPage, order, resetCloud, settle, tap, textOf, until, wxGlobal, type PageComponent } from './harness';
import { forgetTierTitles } from '../../miniprogram/services/tierNames';
import type { ClientOrder, ConversationSummary, ListConversationsInput, ListConversationsResult, ListOrdersInput, ListOrdersResult, Outcome } from '../../miniprogram/services/types';

const wxApi = wxGlobal();
const originalNavigateTo = wxApi.navigateTo;
let navigateTo: jest.Mock;

/** Twenty-three orders, newest first, served ten at a time with a createdAt cursor, like listOrders. */
const ALL: ClientOrder[] = Array.from({ length: 23 }, (_, index) =>
  order({
    orderId: `ord_${String(23 - index).padStart(2, '0')}`,
    createdAt: Date.UTC(2026, 10, 25, 10, 0) - index * 60_000,
    status: index === 0 ? 'refunded' : 'completed',
    amountFen: index === 0 ? 499 : 50,
    tier: index === 0 ? 'expert' : 'quick',
    prompt: index === 0 ? '帮我查一下 [PHONE] 的套餐' : `question ${23 - index}`,
    output: index === 0 ? '' : `## answer ${23 - index}\n\n- **first** point`,
  }),
);

const listTiers = () => ({ ok: true as const, tiers: TIERS, subscribeTemplateId: null });

/** Twelve conversations, newest activity first, served ten at a time with an updatedAt cursor, like listConversations. */
const CONVERSATIONS: ConversationSummary[] = Array.from({ length: 12 }, (_, index) => ({
  conversationId: `conv_${String(12 - index).padStart(2, '0')}`,
  title: index === 0 ? '帮我查一下 [PHONE] 的套餐' : `话题 ${12 - index}`,
  turns: index === 0 ? 3 : 1,
  updatedAt: Date.UTC(2026, 10, 25, 10, 0) - index * 60_000,
}));

function listConversations(input: ListConversationsInput): Outcome<ListConversationsResult> {
  const before = input.cursor === undefined ? Infinity : Number(input.cursor);
  const newer = CONVERSATIONS.filter((item) => item.updatedAt < before);
  const conversations = newer.slice(0, 10);
  const last = conversations[conversations.length - 1];
  return { ok: true, conversations, nextCursor: newer.length > 10 && last ? String(last.updatedAt) : null };
}

/** Opens the history page on its orders tab. */
async function openOrders(): Promise<PageComponent> {
  const page = openPage('pages/history/history');
  await until(() => page.instance.data.loadedOnce, 'conversations');
  tap(page, '#tab-orders');
  await until(() => page.instance.data.tab === 'orders' && page.instance.data.loadedOnce, 'first page of orders');
  return page;
}

function listOrders(input: ListOrdersInput): Outcome<ListOrdersResult> {
  const before = input.cursor === undefined ? Infinity : Number(input.cursor);
  const limit = input.limit ?? 20;
  const newer = ALL.filter((item) => item.createdAt < before);
  const orders = newer.slice(0, limit);
  const last = orders[orders.length - 1];
  return { ok: true, orders, nextCursor: newer.length > limit && last ? String(last.createdAt) : null };
}

beforeEach(() => {
  navigateTo = jest.fn();
  wxApi.navigateTo = navigateTo as unknown as typeof wx.navigateTo;
});

afterEach(() => {
  closePages();
  resetCloud();
  wxApi.navigateTo = originalNavigateTo;
});

const rows = (page: PageComponent) => page.querySelectorAll('.order-row').length;

describe('history page: conversations', () => {
  test('lists conversations by last activity, titled by their first question, with their turns; each opens its conversation', async () => {
    const cloud = new FakeCloud({ listConversations, listOrders, listTiers }).install();
    const page = openPage('pages/history/history');
    await until(() => page.instance.data.loadedOnce, 'first page');
    expect(page.querySelectorAll('.conversation-row')).toHaveLength(10);
    expect(textOf(page, '#title-conv_12')).toBe('帮我查一下 手机号已隐去 的套餐');
    expect(page.querySelectorAll('#title-conv_12 .redacted').map((part) => part.dom?.textContent)).toEqual(['手机号已隐去']);
    expect(textOf(page, '#conversation-conv_12')).toContain('3 轮 · 2026-11-25');
    expect(cloud.callsTo('listOrders')).toHaveLength(0);
    tap(page, '#load-more');
    await until(() => page.querySelectorAll('.conversation-row').length === 12, 'second page');
    expect(cloud.callsTo('listConversations')).toEqual([{}, { cursor: String(CONVERSATIONS[9]?.updatedAt) }]);
    expect(textOf(page, '#no-more')).toBe('没有更多了');
    tap(page, '#conversation-conv_11');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(navigateTo.mock.calls[0]?.[0]).toMatchObject({ url: '/pages/conversation/conversation?conversationId=conv_11' });
  });

  test('no conversation yet is said plainly; coming back to the page reads the list again', async () => {
    const cloud = new FakeCloud({ listTiers, listConversations: () => ({ ok: true, conversations: [], nextCursor: null }) }).install();
    const page = openPage('pages/history/history');
    await until(() => page.instance.data.loadedOnce, 'empty page');
    expect(textOf(page, '#empty')).toBe('还没有对话');
    page.triggerPageLifeTime('show');
    await until(() => cloud.callsTo('listConversations').length === 2, 'read again');
  });
});

describe('history page: orders', () => {
  test('lists the orders newest first, a page at a time, until there are no more', async () => {
    forgetTierTitles();
    const cloud = new FakeCloud({ listConversations, listOrders, listTiers }).install();
    const page = await openOrders();
    expect(page.instance.data.orders.map((row: { orderId: string }) => row.orderId).slice(0, 3)).toEqual(['ord_23', 'ord_22', 'ord_21']);
    expect(rows(page)).toBe(10);
    expect(textOf(page, '#order-ord_23')).toContain('已退款 ¥4.99');
    expect(textOf(page, '#order-ord_22')).toContain('answer 22');
    expect(textOf(page, '#order-ord_22')).toContain('¥0.50');
    // Opened first, the page asked for the tier titles once to name each order's tier.
    await until(() => (textOf(page, '#order-ord_23') ?? '').includes('专家长文'), 'tier titles');
    expect(textOf(page, '#order-ord_22')).toContain('快速回答');
    expect(cloud.callsTo('listTiers')).toHaveLength(1);
    expect(textOf(page, '#load-more')).toBe('加载更多');

    tap(page, '#load-more');
    await until(() => rows(page) === 20, 'second page');
    // Scrolling to the bottom loads the rest.
    page.instance.onReachBottom();
    await until(() => rows(page) === 23, 'last page');
    expect(page.querySelector('#load-more')).toBeUndefined();
    expect(textOf(page, '#no-more')).toBe('没有更多了');

    const cursors = cloud.callsTo('listOrders').map((input) => (input as ListOrdersInput).cursor);
    expect(cursors).toEqual([undefined, String(ALL[9]?.createdAt), String(ALL[19]?.createdAt)]);
    // Nothing left: reaching the bottom again asks nothing.
    page.instance.onReachBottom();
    await settle();
    expect(cloud.callsTo('listOrders')).toHaveLength(3);
  });

  test('reaching the bottom twice while a page loads asks for it once', async () => {
    let release: () => void = () => undefined;
    const cloud = new FakeCloud({ listConversations, listOrders, listTiers }).install();
    const page = await openOrders();
    cloud.handlers.listOrders = (input) =>
      new Promise((resolve) => {
        release = () => resolve(listOrders(input));
      });
    page.instance.onReachBottom();
    page.instance.onReachBottom();
    await settle();
    expect(cloud.callsTo('listOrders')).toHaveLength(2);
    expect(textOf(page, '#load-more')).toBe('加载中…');
    release();
    await until(() => rows(page) === 20, 'second page');
    expect(cloud.maxInFlight('listOrders')).toBe(1);
  });

  test('each order opens its own order page', async () => {
    new FakeCloud({ listConversations, listOrders, listTiers }).install();
    const page = await openOrders();
    tap(page, '#order-ord_21');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(navigateTo.mock.calls[0]?.[0]).toMatchObject({ url: '/pages/order/order?orderId=ord_21' });
  });

  test('no orders yet, and a failed load, are both said plainly', async () => {
    new FakeCloud({ listTiers, listConversations, listOrders: () => ({ ok: true, orders: [], nextCursor: null }) }).install();
    const empty = await openOrders();
    expect(textOf(empty, '#empty')).toBe('还没有订单');
    closePages();

    new FakeCloud({ listTiers, listConversations, listOrders: () => ({ ok: false, error: { code: 'NETWORK', message: 'offline' } }) }).install();
    const failed = openPage('pages/history/history');
    await until(() => failed.instance.data.loadedOnce, 'conversations');
    tap(failed, '#tab-orders');
    await until(() => failed.querySelector('#notice') !== undefined, 'notice');
    expect(textOf(failed, '#notice')).toBe('网络不太好，请检查网络后重试');
  });

  test('every row says what was asked, as stored, with removed personal data marked; the answer preview reads as text', async () => {
    new FakeCloud({ listTiers, listConversations, listOrders }).install();
    const page = await openOrders();
    await until(() => rows(page) === 10, 'first page');
    // A refunded order has no answer, but its question is still there to see.
    expect(textOf(page, '#question-ord_23')).toBe('帮我查一下 手机号已隐去 的套餐');
    const marked = page.querySelectorAll('#question-ord_23 .redacted');
    expect(marked.map((part) => part.dom?.textContent)).toEqual(['手机号已隐去']);
    expect(textOf(page, '#question-ord_22')).toBe('question 22');
    // The preview is the answer as a reader sees it (no Markdown marks), labelled as AI-generated beside it.
    expect(textOf(page, '#order-ord_22 .row-preview')).toBe('answer 22 first point');
    expect(textOf(page, '#order-ord_22 .row-preview-line .ai-label')).toBe('AI生成');
    // A refunded order has no answer: no preview, no label.
    expect(page.querySelector('#order-ord_23 .ai-label')).toBeUndefined();
  });
});
