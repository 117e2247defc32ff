/** @jest-environment jsdom */
import {
  closePages,
  FakeCloud,
  input,
  openPage,
  order,
  PAYMENT,
  resetCloud,
  settle,
  tap,
  textOf,
  TIERS,
  until,
  virtualParams,
  virtualPaymentSheet,
  visibleText,
  wxGlobal,
  type PageComponent,
} from './harness';
import { leaveDraft } from '../../miniprogram/services/draft';
import type { ClientOrder, ClientPayment, CreateOrderInput, RequestPaymentParams } from '../../miniprogram/services/types';

type WxOptions = { success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void; url?: string; content?: string };

const wxApi = wxGlobal();
const originals = { requestPayment: wxApi.requestPayment, navigateTo: wxApi.navigateTo, showModal: wxApi.showModal, requestVirtualPayment: wxApi.requestVirtualPayment };

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

/**
 * A server that creates orders from what it is sent (the prompt stored redacted, as the real one
 * does: a phone number becomes [PHONE]), each with its own payment, and cancels them.
 */
function server(payMode: 'wxpay' | 'virtual' = 'wxpay'): FakeCloud & { created: ClientOrder[] } {
  const created: ClientOrder[] = [];
  const cloud = new FakeCloud({
    listTiers: () => ({ ok: true, tiers: TIERS.map((tier) => ({ ...tier, productId: tier.id })), subscribeTemplateId: null, packs: [], payMode }),
    getBalance: () => ({ ok: true, balance: 0 }),
    createOrder: (request: CreateOrderInput) => {
      // No tokens: asking with them is refused, and nothing changes.
      if (request.payWith === 'tokens') return { ok: false, error: { code: 'INSUFFICIENT_BALANCE', message: 'short', balance: 0, priceTokens: 5 } };
      const tier = TIERS.find((item) => item.id === request.tier);
      const made = order({ orderId: `ord_${created.length + 1}`, outTradeNo: `T${created.length + 1}`, tier: request.tier, prompt: request.prompt.replace(/1\d{10}/g, '[PHONE]'), amountFen: tier?.priceFen ?? 0 });
      created.push(made);
      const payment: ClientPayment = payMode === 'virtual' ? virtualParams(made.outTradeNo) : created.length === 1 ? PAYMENT : SECOND_PAYMENT;
      return { ok: true, order: made, payment };
    },
    cancelOrder: ({ orderId }) => {
      const found = created.find((item) => item.orderId === orderId) ?? order();
      found.status = 'closed';
      return { ok: true, order: { ...found, rev: 2 } };
    },
    getOrder: ({ orderId }) => {
      const found = created.find((item) => item.orderId === orderId);
      if (!found) return { ok: false, error: { code: 'NOT_FOUND', message: 'no such order' } };
      return { ok: true, order: found, ...(found.status === 'pending_payment' && payMode === 'wxpay' ? { payment: found.orderId === 'ord_1' ? PAYMENT : SECOND_PAYMENT } : {}) };
    },
  }).install();
  return Object.assign(cloud, { created });
}

async function openHome(): Promise<PageComponent> {
  const page = openPage('pages/index/index');
  await until(() => !page.instance.data.loadingTiers, 'tiers loaded');
  return page;
}

/** Closes the page and opens the mini program again, as a reload or WeChat unloading it does: only storage and the server remain. */
async function reload(): Promise<PageComponent> {
  closePages();
  return openHome();
}

const sheetClosed = (page: PageComponent) => () => page.instance.data.busy === false && page.querySelector('#notice') !== undefined;
const navigatedTo = () => (wxApi.navigateTo as unknown as jest.Mock).mock.calls.map(([options]) => (options as WxOptions).url);

beforeEach(() => {
  payments = [];
  modals = [];
  wxApi.navigateTo = jest.fn() as unknown as typeof wx.navigateTo;
});

afterEach(() => {
  closePages();
  Object.assign(wxApi, originals);
  resetCloud();
});

describe('the question being written and a purchase waiting for payment survive a reload, as one thing', () => {
  test('a question being written is still there, with its tier, after a reload', async () => {
    server();
    const page = await openHome();
    tap(page, '#tier-expert');
    input(page, '#prompt', '半写的问题：如何');
    await settle();
    const again = await reload();
    expect(again.instance.data.prompt).toBe('半写的问题：如何');
    expect(again.instance.data.selectedTierId).toBe('expert');
    expect(textOf(again, '#pay')).toBe('支付 ¥4.99');
  });

  test('cancel on the sheet, reload: the one purchase shows with its own question, no second question beside it, and paying pays that question', async () => {
    const cloud = server();
    paymentSheet('cancel', 'paid');
    const page = await openHome();
    input(page, '#prompt', '第一个问题：猫');
    await settle();
    tap(page, '#pay');
    await until(sheetClosed(page), 'the first payment sheet cancelled');

    const again = await reload();
    await until(() => again.querySelector('#pending') !== undefined, 'the purchase restored');
    expect(cloud.callsTo('getOrder')).toEqual([{ orderId: 'ord_1' }]);
    expect(textOf(again, '#pending-tier')).toBe('待支付的订单 · 快速回答');
    expect(textOf(again, '#pending-question')).toBe('第一个问题：猫');
    // One visible thing: no question box, no tiers, no other pay button beside it.
    expect(again.querySelector('#prompt')).toBeUndefined();
    expect(again.querySelector('#tiers')).toBeUndefined();
    expect(again.querySelector('#pay')).toBeUndefined();
    expect(visibleText(again).match(/第一个问题：猫/g)).toHaveLength(1);

    tap(again, '#pay-again');
    await until(() => navigatedTo().length === 1, 'the order page');
    expect(payments).toEqual([PAYMENT, PAYMENT]);
    expect(cloud.callsTo('createOrder')).toHaveLength(1);
    expect(navigatedTo()).toEqual(['/pages/order/order?orderId=ord_1&paid=1']);
    // Paid: nothing is kept for the next reload.
    const third = await reload();
    await settle();
    expect(third.querySelector('#pending')).toBeUndefined();
    expect(third.instance.data.prompt).toBe('');
  });

  test('right after the sheet is dismissed, editing opens no dialog: cancel once, the question is back in the box, and the edited question is the one paid', async () => {
    const cloud = server();
    paymentSheet('cancel', 'paid');
    const page = await openHome();
    input(page, '#prompt', '第一个问题：猫');
    await settle();
    tap(page, '#pay');
    await until(sheetClosed(page), 'the payment sheet cancelled');
    // Nothing to type into beside the purchase: there is no first keystroke to ask about.
    expect(page.querySelector('#prompt')).toBeUndefined();
    expect(modals).toEqual([]);

    // The deliberate action: cancel, confirmed once.
    modalAnswers(true);
    tap(page, '#cancel-order');
    await until(() => page.querySelector('#prompt') !== undefined, 'the question box back');
    expect(modals).toEqual(['取消这个问题的支付吗？不会扣款，问题会放回输入框，可以修改后再问。']);
    expect(cloud.callsTo('cancelOrder')).toEqual([{ orderId: 'ord_1' }]);
    expect(page.instance.data.prompt).toBe('第一个问题：猫');

    // Typing now edits the question: no dialog on the first keystroke or any later one.
    input(page, '#prompt', '第一个问题：猫和');
    input(page, '#prompt', '第二个问题：狗，要长文');
    tap(page, '#tier-expert');
    await until(() => page.instance.data.canPay === true && page.instance.data.selectedTierId === 'expert', 'the new question payable');
    expect(modals).toHaveLength(1);
    expect(textOf(page, '#pay')).toBe('支付 ¥4.99');
    tap(page, '#pay');
    await until(() => navigatedTo().length === 1, 'the order page of the new order');
    expect(cloud.callsTo('createOrder')).toEqual([
      { prompt: '第一个问题：猫', tier: 'quick', subscribe: false },
      { prompt: '第二个问题：狗，要长文', tier: 'expert', subscribe: false },
    ]);
    expect(payments).toEqual([PAYMENT, SECOND_PAYMENT]);
    // wxpay: each answer is a purchase of its own, followed on its order page.
    expect(navigatedTo()).toEqual(['/pages/order/order?orderId=ord_2&paid=1']);
  });

  test('declining the cancel keeps the purchase and its question as they were', async () => {
    const cloud = server();
    paymentSheet('cancel');
    const page = await openHome();
    input(page, '#prompt', '第一个问题：猫');
    await settle();
    tap(page, '#pay');
    await until(sheetClosed(page), 'the payment sheet cancelled');
    modalAnswers(false);
    tap(page, '#cancel-order');
    await until(() => modals.length === 1, 'asked');
    await settle();
    expect(cloud.callsTo('cancelOrder')).toEqual([]);
    expect(textOf(page, '#pending-question')).toBe('第一个问题：猫');
    expect(page.querySelector('#prompt')).toBeUndefined();
  });

  test('a purchase found on the server (ACTIVE_PAYMENT_EXISTS) is shown alone; cancelling it gives back what the user had just written', async () => {
    const cloud = server();
    const stale = order({ orderId: 'ord_old', prompt: '昨天的问题 [PHONE]' });
    cloud.handlers.createOrder = () => ({ ok: false, error: { code: 'ACTIVE_PAYMENT_EXISTS', message: 'pending', order: stale, payment: PAYMENT } });
    cloud.handlers.cancelOrder = () => ({ ok: true, order: { ...stale, status: 'closed', rev: 2 } });
    paymentSheet();
    const page = await openHome();
    input(page, '#prompt', '今天的新问题');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#pending') !== undefined, 'the pending purchase shown');
    expect(textOf(page, '#pending-question')).toBe('昨天的问题 手机号已隐去');
    expect(textOf(page, '#notice')).toBe('你有一个问题还没支付（如下）：继续支付，或取消它再问新的。你刚写的问题已保留。');
    expect(page.querySelector('#prompt')).toBeUndefined();
    expect(payments).toEqual([]);

    modalAnswers(true);
    tap(page, '#cancel-order');
    await until(() => page.querySelector('#prompt') !== undefined, 'the question box back');
    expect(page.instance.data.prompt).toBe('今天的新问题');
  });

  test('paying the purchase found on the server answers its question and leaves what the user had just written in the box', async () => {
    const cloud = server();
    const stale = order({ orderId: 'ord_old', prompt: '昨天的问题' });
    cloud.handlers.createOrder = () => ({ ok: false, error: { code: 'ACTIVE_PAYMENT_EXISTS', message: 'pending', order: stale, payment: PAYMENT } });
    paymentSheet('paid');
    const page = await openHome();
    input(page, '#prompt', '今天的新问题');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#pending') !== undefined, 'the pending purchase shown');
    tap(page, '#pay-again');
    await until(() => navigatedTo().length === 1, 'the old order paid');
    expect(navigatedTo()).toEqual(['/pages/order/order?orderId=ord_old&paid=1']);
    expect(page.instance.data.prompt).toBe('今天的新问题');
    const again = await reload();
    expect(again.instance.data.prompt).toBe('今天的新问题');
    expect(again.querySelector('#pending')).toBeUndefined();
  });

  test('a kept purchase paid elsewhere meanwhile is not offered again after a reload, and the user is told', async () => {
    const cloud = server();
    paymentSheet('cancel');
    const page = await openHome();
    input(page, '#prompt', '第一个问题：猫');
    await settle();
    tap(page, '#pay');
    await until(sheetClosed(page), 'the payment sheet cancelled');
    (cloud.created[0] as ClientOrder).status = 'paid';
    const again = await reload();
    await until(() => textOf(again, '#notice') === '上次待支付的问题已经支付，可以在“我的对话”里查看回答。', 'told');
    expect(again.querySelector('#pending')).toBeUndefined();
    expect(again.querySelector('#pay')).toBeDefined();
    // Its question is being answered: it is not left in the box to be asked twice.
    expect(again.instance.data.prompt).toBe('');
  });

  test('virtual payment: a cancelled item purchase survives a reload; paying again buys the same question afresh, never reopening the spent sheet', async () => {
    const cloud = server('virtual');
    const sheet = virtualPaymentSheet(-2, 'paid');
    const page = await openHome();
    input(page, '#prompt', '电话 13812345678 是谁的');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#buy-one') !== undefined, 'the top-up sheet offers this one answer');
    tap(page, '#buy-one');
    await until(() => page.querySelector('#pending') !== undefined && !page.instance.data.busy, 'the purchase waiting');
    expect(textOf(page, '#notice')).toBe('你取消了支付，没有扣款。可以重新支付，或取消这个订单。');

    const again = await reload();
    await until(() => again.querySelector('#pending') !== undefined, 'the purchase restored');
    // The question as the user typed it (the server keeps it redacted).
    expect(textOf(again, '#pending-question')).toBe('电话 13812345678 是谁的');
    expect(textOf(again, '#pay-again')).toBe('重新支付 ¥0.50');
    tap(again, '#pay-again');
    await until(() => navigatedTo().length === 1, 'the order page');
    expect(cloud.callsTo('cancelOrder')).toEqual([{ orderId: 'ord_1' }]);
    expect(cloud.callsTo('createOrder').filter((call) => (call as CreateOrderInput).payWith === 'purchase')).toEqual([
      { prompt: '电话 13812345678 是谁的', tier: 'quick', subscribe: false, payWith: 'purchase', platform: 'android' },
      { prompt: '电话 13812345678 是谁的', tier: 'quick', subscribe: false, payWith: 'purchase', platform: 'android' },
    ]);
    expect(sheet.opened).toEqual([virtualParams('T1'), virtualParams('T2')]);
    // Paid on the sheet: its conversation opens, that turn confirming the payment.
    expect(navigatedTo()).toEqual(['/pages/conversation/conversation?conversationId=cConversation000000000001&paid=ord_2']);
  });

  test('"ask again" from an order page fills in the question and its tier on the home page', async () => {
    server();
    leaveDraft({ prompt: '再问一次：[PHONE] 是谁的号码', tier: 'expert' });
    const page = await openHome();
    expect(page.instance.data.prompt).toBe('再问一次：[PHONE] 是谁的号码');
    expect(page.instance.data.selectedTierId).toBe('expert');
    expect(textOf(page, '#pay')).toBe('支付 ¥4.99');
  });

  test('notices follow the language', async () => {
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
  });
});
