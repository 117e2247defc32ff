/** @jest-environment jsdom */
import { closePages, FakeCloud, TIERS, openPage, order, resetCloud, settle, tap, textOf, until, visibleText, wxGlobal, type PageComponent } from './harness';
import type { ClientOrder, ListOrdersInput, ListOrdersResult, Outcome } from '../../miniprogram/services/types';

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

const rows = (page: PageComponent) => page.querySelectorAll('.row').length;

describe('history page', () => {
  test('lists the orders newest first, a page at a time, until there are no more', async () => {
    const cloud = new FakeCloud({ listOrders, listTiers }).install();
    const page = openPage('pages/history/history');
    await until(() => page.instance.data.loadedOnce, 'first page');
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
    const cloud = new FakeCloud({ listOrders, listTiers }).install();
    const page = openPage('pages/history/history');
    await until(() => page.instance.data.loadedOnce, 'first page');
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
    new FakeCloud({ listOrders, listTiers }).install();
    const page = openPage('pages/history/history');
    await until(() => page.instance.data.loadedOnce, 'first page');
    tap(page, '#order-ord_21');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(navigateTo.mock.calls[0]?.[0]).toMatchObject({ url: '/pages/order/order?orderId=ord_21' });
  });

  test('no orders yet, and a failed load, are both said plainly', async () => {
    new FakeCloud({ listTiers, listOrders: () => ({ ok: true, orders: [], nextCursor: null }) }).install();
    const empty = openPage('pages/history/history');
    await until(() => empty.instance.data.loadedOnce, 'empty page');
    expect(visibleText(empty)).toBe('还没有订单');
    closePages();

    new FakeCloud({ listTiers, listOrders: () => ({ ok: false, error: { code: 'NETWORK', message: 'offline' } }) }).install();
    const failed = openPage('pages/history/history');
    await until(() => failed.querySelector('#notice') !== undefined, 'notice');
    expect(textOf(failed, '#notice')).toBe('网络不太好，请检查网络后重试');
  });

  test('every row says what was asked, as stored, with removed personal data marked; the answer preview reads as text', async () => {
    new FakeCloud({ listTiers, listOrders }).install();
    const page = openPage('pages/history/history');
    await until(() => rows(page) === 10, 'first page');
    // A refunded order has no answer, but its question is still there to see.
    expect(textOf(page, '#question-ord_23')).toBe('帮我查一下 手机号已隐去 的套餐');
    const marked = page.querySelectorAll('#question-ord_23 .redacted');
    expect(marked.map((part) => part.dom?.textContent)).toEqual(['手机号已隐去']);
    expect(textOf(page, '#question-ord_22')).toBe('question 22');
    // The preview is the answer as a reader sees it: no Markdown marks.
    expect(textOf(page, '#order-ord_22 .row-preview')).toBe('answer 22 first point');
  });
});
