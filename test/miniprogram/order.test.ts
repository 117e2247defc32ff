/** @jest-environment jsdom */
import { answerModals, answerText, attribute, closePages, fastPolling, fastReveal, FakeCloud, normalPolling, normalReveal, openPage, order, PAYMENT, resetCloud, settle, tap, textOf, TIERS, until, visibleText, wxGlobal, type PageComponent } from './harness';
import type { ClientOrder, GetOrderInput, GetOrderResult, Outcome, RequestPaymentParams } from '../../miniprogram/services/types';

type WxOptions = { success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void };

const wxApi = wxGlobal();
const originalRequestPayment = wxApi.requestPayment;
const originalShowModal = wxApi.showModal;
const originalSystemInfo = wxApi.getSystemInfoSync;

/**
 * A getOrder that answers only when the test says so, like a long-poll held by the server: the
 * test sees each call the page makes, with its knownRev, and decides what the server returns.
 */
class HeldServer {
  private waiting: Array<{ input: GetOrderInput; resolve: (outcome: Outcome<GetOrderResult>) => void }> = [];
  readonly cloud: FakeCloud;

  constructor() {
    this.cloud = new FakeCloud({
      listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null }),
      getOrder: (input) => new Promise((resolve) => this.waiting.push({ input, resolve })),
      cancelOrder: () => ({ ok: true, order: order({ status: 'closed', rev: 5, closedAt: Date.now() }) }),
    }).install();
  }

  get calls(): GetOrderInput[] {
    return this.cloud.callsTo('getOrder') as GetOrderInput[];
  }

  get held(): number {
    return this.waiting.length;
  }

  async nextCall(): Promise<GetOrderInput> {
    await until(() => this.waiting.length > 0, 'the page to call getOrder');
    return (this.waiting[0] as { input: GetOrderInput }).input;
  }

  /** Answers the call the page is waiting on, then lets the page render. */
  async answer(next: ClientOrder | Outcome<GetOrderResult>, payment?: RequestPaymentParams): Promise<void> {
    await this.nextCall();
    const call = this.waiting.shift() as { resolve: (outcome: Outcome<GetOrderResult>) => void };
    call.resolve('ok' in next ? next : { ok: true, order: next, ...(payment ? { payment } : {}) });
    await settle();
  }
}

let server: HeldServer;
/** The pauses the page asked for between polls, in its own ms (the clock runs faster in these tests). */
let pauses: number[];

beforeEach(() => {
  server = new HeldServer();
  fastReveal();
  pauses = fastPolling();
});

afterEach(() => {
  normalReveal();
  normalPolling();
  closePages();
  resetCloud();
  wxApi.requestPayment = originalRequestPayment;
  wxApi.showModal = originalShowModal;
  wxApi.getSystemInfoSync = originalSystemInfo;
});

const headline = (page: PageComponent) => textOf(page, '#headline');

describe('order page', () => {
  test('shows "confirming payment" at once, then the output as it grows, then the completed answer', async () => {
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    expect(headline(page)).toBe('正在确认支付…');
    expect(page.querySelector('#spinner')).toBeDefined();

    // Just paid: the first call already waits for news.
    expect(await server.nextCall()).toEqual({ orderId: 'ord_1', waitMs: 3000, settleMs: 3000 });
    await server.answer(order({ rev: 1 }));
    expect(headline(page)).toBe('正在确认支付…');

    expect(await server.nextCall()).toEqual({ orderId: 'ord_1', waitMs: 3000, settleMs: 3000, knownRev: 1, knownStatus: 'pending_payment', knownChars: 0 });
    const paidAt = Date.now() - 5_000;
    await server.answer(order({ status: 'generating', rev: 3, paidAt, output: 'Tea leaves' }));
    expect(headline(page)).toMatch(/^正在生成…（已 \d+ 秒）$/);
    expect(Number(/(\d+) 秒/.exec(headline(page) ?? '')?.[1])).toBeGreaterThanOrEqual(5);
    await until(() => answerText(page) === 'Tea leaves', 'the first text');

    expect((await server.nextCall()).knownRev).toBe(3);
    await server.answer(order({ status: 'generating', rev: 4, paidAt, output: 'Tea leaves drift' }));
    await until(() => answerText(page) === 'Tea leaves drift', 'the text grows');

    expect((await server.nextCall()).knownRev).toBe(4);
    await server.answer(order({ status: 'completed', rev: 5, paidAt, completedAt: Date.now(), outputComplete: true, output: 'Tea leaves drift, slowly.' }));
    // "Completed" once the last piece is on screen, not before.
    await until(() => headline(page) === '已完成', 'completed');
    expect(answerText(page)).toBe('Tea leaves drift, slowly.');
    expect(page.querySelector('#spinner')).toBeUndefined();
    expect(page.querySelector('#ask-another')).toBeDefined();

    // A final state ends polling; there was never more than one call at a time.
    await settle(20);
    expect(server.held).toBe(0);
    expect(server.calls).toHaveLength(4);
    expect(server.cloud.maxInFlight('getOrder')).toBe(1);
    expect(server.cloud.callsTo('listTiers')).toHaveLength(1);
  });

  test('a failed answer shows the refund with its amount in yuan', async () => {
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    await server.answer(order({ status: 'generating', rev: 3, tier: 'expert', amountFen: 499, paidAt: Date.now() }));
    await server.answer(order({ status: 'refunding', rev: 4, tier: 'expert', amountFen: 499 }));
    expect(headline(page)).toBe('生成失败，正在退款…');
    await server.answer(order({ status: 'refunded', rev: 5, tier: 'expert', amountFen: 499, refundedAt: Date.now(), error: { code: 'ALL_PROVIDERS_FAILED', message: 'x' } }));
    expect(headline(page)).toBe('已退款 ¥4.99');
    expect(textOf(page, '#refund-explain')).toBe('这次没能生成回答，款项已原路退回。');
    expect(page.querySelector('#spinner')).toBeUndefined();
    await settle(20);
    expect(server.held).toBe(0);
  });

  test('a closed order says nothing was charged', async () => {
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await server.answer(order({ status: 'closed', rev: 2, closedAt: Date.now() }));
    expect(headline(page)).toBe('订单已关闭，未扣款');
    expect(page.querySelector('#payment-actions')).toBeUndefined();
  });

  test('polling stops while the page is hidden and resumes, from the rev it holds, when shown', async () => {
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    await server.answer(order({ status: 'generating', rev: 2, paidAt: Date.now() }));
    await server.nextCall();
    page.triggerPageLifeTime('hide');
    // The call already held by the server settles, but nothing follows it while hidden.
    await server.answer(order({ status: 'generating', rev: 3, paidAt: Date.now(), output: 'part' }));
    await settle(20);
    expect(server.held).toBe(0);
    expect(server.calls).toHaveLength(2);

    page.triggerPageLifeTime('show');
    expect(await server.nextCall()).toEqual({ orderId: 'ord_1', waitMs: 3000, settleMs: 3000, knownRev: 3, knownStatus: 'generating', knownChars: 4 });
    // Showing twice does not start a second poll alongside the first.
    page.triggerPageLifeTime('show');
    await settle(20);
    expect(server.held).toBe(1);
    expect(server.cloud.maxInFlight('getOrder')).toBe(1);
  });

  test('closing the page while a call is held stops polling for good', async () => {
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    await server.answer(order({ status: 'generating', rev: 2, paidAt: Date.now() }));
    await server.nextCall();
    page.detach();
    await server.answer(order({ status: 'generating', rev: 3, paidAt: Date.now() }));
    await settle(20);
    expect(server.held).toBe(0);
    expect(server.calls).toHaveLength(2);
  });

  test('a call that fails is retried after a pause, with a plain note, not in a storm', async () => {
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    await server.answer({ ok: false, error: { code: 'NETWORK', message: 'timeout' } });
    expect(textOf(page, '#trouble')).toBe('网络不稳定，正在重试…');
    // No immediate retry: the next call was put a second off (the first step of the failure back-off).
    expect(server.calls).toHaveLength(1);
    expect(pauses.at(-1)).toBe(1_000);
    await server.answer(order({ status: 'generating', rev: 2, paidAt: Date.now() }));
    expect(page.querySelector('#trouble')).toBeUndefined();
    // The retry asked afresh (no rev yet, still waiting for news); after it the page long-polls from rev 2.
    expect(server.calls.slice(0, 2)).toEqual([
      { orderId: 'ord_1', waitMs: 3000, settleMs: 3000 },
      { orderId: 'ord_1', waitMs: 3000, settleMs: 3000 },
    ]);
    expect(await server.nextCall()).toEqual({ orderId: 'ord_1', waitMs: 3000, settleMs: 3000, knownRev: 2, knownStatus: 'generating', knownChars: 0 });
  });

  test('an order that is not the user\'s is "not found" and is not polled again', async () => {
    const page = openPage('pages/order/order', { orderId: 'someone_elses' });
    await server.answer({ ok: false, error: { code: 'NOT_FOUND', message: 'no such order' } });
    expect(headline(page)).toBe('找不到这个订单');
    await settle(20);
    expect(server.calls).toHaveLength(1);
  });

  test('an unpaid order offers paying again with the same parameters; after paying it confirms', async () => {
    const requestPayment = jest.fn((options: WxOptions) => setTimeout(() => options.success?.({ errMsg: 'requestPayment:ok' }), 0));
    wxApi.requestPayment = requestPayment as unknown as typeof wx.requestPayment;
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await server.answer(order({ rev: 1 }), PAYMENT);
    expect(headline(page)).toBe('待支付');
    expect(attribute(page, '#pay-again', 'disabled')).toBe(false);
    expect(textOf(page, '#pay-again')).toBe('重新支付 ¥0.50');
    tap(page, '#pay-again');
    await until(() => headline(page) === '正在确认支付…', 'confirming after paying again');
    expect(requestPayment).toHaveBeenCalledTimes(1);
    expect(requestPayment.mock.calls[0]?.[0]).toMatchObject(PAYMENT);
    await server.answer(order({ status: 'paid', rev: 2, paidAt: Date.now() }));
    expect(headline(page)).toMatch(/^正在生成…/);
  });

  test('an unpaid order can be cancelled; a stale long-poll answer does not bring it back', async () => {
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await server.answer(order({ rev: 1 }), PAYMENT);
    await server.nextCall();
    answerModals(true);
    tap(page, '#cancel-order');
    await until(() => headline(page) === '订单已关闭，未扣款', 'closed after cancelling');
    expect(server.cloud.callsTo('cancelOrder')).toEqual([{ orderId: 'ord_1' }]);
    await server.answer(order({ rev: 1 }), PAYMENT);
    expect(headline(page)).toBe('订单已关闭，未扣款');
    await settle(20);
    expect(server.held).toBe(0);
  });

  test('a cancelled payment sheet on the order page is explained and the order stays payable', async () => {
    wxApi.requestPayment = ((options: WxOptions) => setTimeout(() => options.fail?.({ errMsg: 'requestPayment:fail cancel' }), 0)) as unknown as typeof wx.requestPayment;
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await server.answer(order({ rev: 1 }), PAYMENT);
    tap(page, '#pay-again');
    await until(() => page.querySelector('#notice') !== undefined, 'notice');
    expect(textOf(page, '#notice')).toBe('你取消了支付，没有扣款。可以重新支付，或取消这个订单。');
    expect(headline(page)).toBe('待支付');
    expect(visibleText(page)).toContain('重新支付');
  });

  test('speaks English on an English phone', async () => {
    wxApi.getSystemInfoSync = (() => ({ ...originalSystemInfo(), language: 'en' })) as typeof wx.getSystemInfoSync;
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    expect(headline(page)).toBe('Confirming payment…');
    await server.answer(order({ status: 'generating', rev: 2, paidAt: Date.now(), output: 'Hello' }));
    expect(headline(page)).toMatch(/^Writing… \(\d+ s\)$/);
    await server.answer(order({ status: 'refunded', rev: 3, amountFen: 499, refundedAt: Date.now() }));
    expect(headline(page)).toBe('Refunded ¥4.99');
  });
});
