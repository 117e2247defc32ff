/** @jest-environment jsdom */
import { FakeCloud, input, openPage, order, PAYMENT, resetCloud, settle, tap, textOf, TIERS, until, wxGlobal, type PageComponent } from './harness';
import { leaveDraft } from '../../miniprogram/services/draft';
import type { ClientOrder, CreateOrderInput, RequestPaymentParams } from '../../miniprogram/services/types';

type WxOptions = { success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void; url?: string; content?: string };

const wxApi = wxGlobal();
const originals = { requestPayment: wxApi.requestPayment, navigateTo: wxApi.navigateTo, showModal: wxApi.showModal, getSystemInfoSync: wxApi.getSystemInfoSync };

/** The second order's own payment parameters: a different prepay order from the first one's. */
const SECOND_PAYMENT: RequestPaymentParams = { ...PAYMENT, package: 'prepay_id=wx20261125SECOND', paySign: 'SECOND_SIGNATURE' };

let payments: RequestPaymentParams[];
let modals: string[];

/** The WeChat Pay sheet: the user's answers in turn ('paid' or 'cancel'); records what each sheet was opened with. */
function paymentSheet(...answers: Array<'paid' | 'cancel'>): void {
  wxApi.requestPayment = ((options: WxOptions & RequestPaymentParams) => {
    payments.push({ timeStamp: options.timeStamp, nonceStr: options.nonceStr, package: options.package, signType: options.signType, paySign: options.paySign });
    const answer = answers.shift() ?? 'cancel';
    setTimeout(() => (answer === 'paid' ? options.success?.({ errMsg: 'requestPayment:ok' }) : options.fail?.({ errMsg: 'requestPayment:fail cancel' })), 0);
  }) as unknown as typeof wx.requestPayment;
}

/** wx.showModal answered by the user: true confirms. */
function modalAnswers(...answers: boolean[]): void {
  wxApi.showModal = ((options: WxOptions) => {
    modals.push(options.content ?? '');
    const confirm = answers.shift() ?? false;
    setTimeout(() => options.success?.({ confirm, cancel: !confirm, errMsg: 'showModal:ok' }), 0);
  }) as unknown as typeof wx.showModal;
}

/** A server that creates orders from what it is sent, each with its own payment, and cancels them. */
function server(): FakeCloud & { created: ClientOrder[] } {
  const created: ClientOrder[] = [];
  const cloud = new FakeCloud({
    listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null }),
    createOrder: (request: CreateOrderInput) => {
      const tier = TIERS.find((item) => item.id === request.tier);
      const made = order({ orderId: `ord_${created.length + 1}`, tier: request.tier, prompt: request.prompt, amountFen: tier?.priceFen ?? 0 });
      created.push(made);
      return { ok: true, order: made, payment: created.length === 1 ? PAYMENT : SECOND_PAYMENT };
    },
    cancelOrder: ({ orderId }) => ({ ok: true, order: { ...(created.find((item) => item.orderId === orderId) ?? order()), status: 'closed', rev: 2 } }),
    getOrder: ({ orderId }) => ({ ok: true, order: created.find((item) => item.orderId === orderId) ?? order() }),
  }).install();
  return Object.assign(cloud, { created });
}

async function openHome(): Promise<PageComponent> {
  const page = openPage('pages/index/index');
  await until(() => !page.instance.data.loadingTiers, 'tiers loaded');
  return page;
}

const sheetClosed = (page: PageComponent) => () => page.instance.data.busy === false && page.querySelector('#notice') !== undefined;

beforeEach(() => {
  payments = [];
  modals = [];
  wxApi.navigateTo = jest.fn() as unknown as typeof wx.navigateTo;
});

afterEach(() => {
  Object.assign(wxApi, originals);
  resetCloud();
});

describe('an order waiting for payment is bound to its question', () => {
  test('quick tier, "第一个问题：猫", pay, cancel on the sheet; then the expert tier and "第二个问题：狗，要长文": the old order is never paid', async () => {
    const cloud = server();
    paymentSheet('cancel', 'paid');
    const page = await openHome();
    tap(page, '#tier-quick');
    input(page, '#prompt', '第一个问题：猫');
    await settle();
    tap(page, '#pay');
    await until(sheetClosed(page), 'the first payment sheet cancelled');
    // What waits for payment is on screen: its tier, its question, its price.
    expect(textOf(page, '#pending-tier')).toBe('待支付的订单 · 快速回答');
    expect(textOf(page, '#pending-question')).toBe('第一个问题：猫');
    expect(textOf(page, '#pay-again')).toBe('重新支付 ¥0.50');

    // Choosing another tier first asks to cancel the order waiting for payment.
    modalAnswers(true);
    tap(page, '#tier-expert');
    await until(() => cloud.callsTo('cancelOrder').length === 1, 'the pending order cancelled');
    await until(() => page.instance.data.selectedTierId === 'expert', 'the expert tier chosen');
    expect(modals).toEqual(['你有一个待支付的订单（快速回答）。修改问题或更换套餐前，需要先取消它。现在取消吗？']);
    expect(cloud.callsTo('cancelOrder')).toEqual([{ orderId: 'ord_1' }]);
    expect(page.querySelector('#pending')).toBeUndefined();
    expect(page.querySelector('#pay-again')).toBeUndefined();

    input(page, '#prompt', '第二个问题：狗，要长文');
    await until(() => page.instance.data.canPay === true, 'the new question can be paid');
    expect(textOf(page, '#pay')).toBe('支付 ¥4.99');
    tap(page, '#pay');
    await until(() => (wxApi.navigateTo as unknown as jest.Mock).mock.calls.length === 1, 'the order page of the new order');

    // A new order for the new question was created and paid with its own parameters.
    expect(cloud.callsTo('createOrder')).toEqual([
      { prompt: '第一个问题：猫', tier: 'quick', subscribe: false },
      { prompt: '第二个问题：狗，要长文', tier: 'expert', subscribe: false },
    ]);
    expect(payments).toEqual([PAYMENT, SECOND_PAYMENT]);
    expect((wxApi.navigateTo as unknown as jest.Mock).mock.calls[0]?.[0]).toMatchObject({ url: '/pages/order/order?orderId=ord_2&paid=1' });
  });

  test('keeping the pending order keeps its tier and its question on screen, and "pay" pays that question', async () => {
    const cloud = server();
    paymentSheet('cancel', 'paid');
    const page = await openHome();
    input(page, '#prompt', '第一个问题：猫');
    await settle();
    tap(page, '#pay');
    await until(sheetClosed(page), 'the payment sheet cancelled');

    modalAnswers(false, false);
    tap(page, '#tier-expert');
    await until(() => modals.length === 1, 'asked before changing the tier');
    await settle();
    expect(page.instance.data.selectedTierId).toBe('quick');
    input(page, '#prompt', '第二个问题：狗');
    await until(() => modals.length === 2, 'asked before changing the question');
    await until(() => page.instance.data.prompt === '第一个问题：猫', 'the question put back');
    expect(cloud.callsTo('cancelOrder')).toEqual([]);
    expect(textOf(page, '#pending-question')).toBe('第一个问题：猫');

    tap(page, '#pay-again');
    await until(() => payments.length === 2, 'paid again');
    expect(payments).toEqual([PAYMENT, PAYMENT]);
    expect(cloud.callsTo('createOrder')).toHaveLength(1);
  });

  test('notices clear when the user starts something new, and follow the language', async () => {
    server();
    paymentSheet('cancel');
    const page = await openHome();
    input(page, '#prompt', '第一个问题：猫');
    await settle();
    tap(page, '#pay');
    await until(sheetClosed(page), 'the payment sheet cancelled');
    expect(textOf(page, '#notice')).toBe('你取消了支付，没有扣款。可以重新支付，或取消这个订单。');

    tap(page, '#language');
    await until(() => textOf(page, '#notice') === 'You cancelled the payment; nothing was charged. You can pay again or cancel this order.', 'the notice in English');
    expect(textOf(page, '#pending-tier')).toBe('Waiting for payment · Quick answer');

    // Starting over (cancelling the pending order to ask something else) clears it.
    modalAnswers(true);
    input(page, '#prompt', 'A new question');
    await until(() => page.querySelector('#pending') === undefined, 'the pending order cancelled');
    expect(page.querySelector('#notice')).toBeUndefined();
    expect(page.instance.data.prompt).toBe('A new question');
    tap(page, '#language');
  });

  test('"ask again" from an order page fills in the question and its tier on the home page', async () => {
    server();
    leaveDraft({ prompt: '再问一次：[PHONE] 是谁的号码', tier: 'expert' });
    const page = await openHome();
    expect(page.instance.data.prompt).toBe('再问一次：[PHONE] 是谁的号码');
    expect(page.instance.data.selectedTierId).toBe('expert');
    expect(textOf(page, '#pay')).toBe('支付 ¥4.99');
  });
});
