/** @jest-environment jsdom */
import { answerModals, attribute, FakeCloud, input, openPage, order, PAYMENT, resetCloud, settle, tap, textOf, TIERS, until, visibleText, wxGlobal, type PageComponent } from './harness';
import type { ClientOrder, CreateOrderInput } from '../../miniprogram/services/types';

type WxOptions = { success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void; url?: string; tmplIds?: string[] };

const wxApi = wxGlobal();
const originals = {
  requestPayment: wxApi.requestPayment,
  requestSubscribeMessage: wxApi.requestSubscribeMessage,
  navigateTo: wxApi.navigateTo,
  getSystemInfoSync: wxApi.getSystemInfoSync,
  showModal: wxApi.showModal,
};

let navigateTo: jest.Mock;
let requestPayment: jest.Mock;
let requestSubscribeMessage: jest.Mock;

/** The payment sheet answers as the user acts: 'paid', 'cancel', or a failure message. */
function paymentSheet(...answers: string[]): jest.Mock {
  const mock = jest.fn((options: WxOptions) => {
    // The last answer repeats once the script runs out.
    const answer = (answers.length > 1 ? answers.shift() : answers[0]) ?? 'cancel';
    setTimeout(() => {
      if (answer === 'paid') options.success?.({ errMsg: 'requestPayment:ok' });
      else if (answer === 'cancel') options.fail?.({ errMsg: 'requestPayment:fail cancel' });
      else options.fail?.({ errMsg: `requestPayment:fail ${answer}` });
    }, 0);
  });
  wxApi.requestPayment = mock as unknown as typeof wx.requestPayment;
  return mock;
}

function subscribeDialog(answer: 'accept' | 'reject'): jest.Mock {
  const mock = jest.fn((options: WxOptions) => {
    setTimeout(() => options.success?.({ errMsg: 'requestSubscribeMessage:ok', [options.tmplIds?.[0] ?? '']: answer }), 0);
  });
  wxApi.requestSubscribeMessage = mock as unknown as typeof wx.requestSubscribeMessage;
  return mock;
}

beforeEach(() => {
  navigateTo = jest.fn();
  wxApi.navigateTo = navigateTo as unknown as typeof wx.navigateTo;
  requestPayment = paymentSheet('paid');
  requestSubscribeMessage = subscribeDialog('accept');
  answerModals(true);
});

afterEach(() => {
  Object.assign(wxApi, originals);
  resetCloud();
});

function server(templateId: string | null = 'TMPL_DONE', created: ClientOrder = order()): FakeCloud {
  return new FakeCloud({
    listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: templateId }),
    createOrder: () => ({ ok: true, order: created, payment: PAYMENT }),
    cancelOrder: () => ({ ok: true, order: { ...created, status: 'closed', rev: created.rev + 1 } }),
  }).install();
}

async function openHome(): Promise<PageComponent> {
  const page = openPage('pages/index/index');
  await until(() => !page.instance.data.loadingTiers, 'tiers loaded');
  return page;
}

const navigatedTo = () => navigateTo.mock.calls.map(([options]) => (options as WxOptions).url);

describe('home page under wxpay (wx.requestPayment): as before virtual payment', () => {
  test('shows every tier with its price in yuan, what you get, the model family and the prompt limit', async () => {
    server();
    const page = await openHome();
    const text = visibleText(page);
    expect(text).toContain('快速回答');
    expect(text).toContain('¥0.50');
    expect(text).toContain('几秒内给出简洁回答');
    expect(text).toContain('Qwen / DeepSeek');
    expect(text).toContain('专家长文');
    expect(text).toContain('¥4.99');
    expect(text).toContain('GPT-4o / Claude');
    expect(page.querySelector('#prompt-count')?.dom?.textContent).toBe('0/20');
    expect(page.querySelector('#pay')?.dom?.textContent).toContain('支付 ¥0.50');
  });

  test('a tier list that fails to load says so and can be retried', async () => {
    const cloud = new FakeCloud({ listTiers: () => ({ ok: false, error: { code: 'NETWORK', message: 'timeout' } }) }).install();
    const page = await openHome();
    expect(visibleText(page)).toContain('套餐加载失败');
    cloud.handlers.listTiers = () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null });
    tap(page, '#tiers-retry');
    await until(() => visibleText(page).includes('¥4.99'), 'tiers after retry');
    expect(page.querySelector('#tiers-error')).toBeUndefined();
  });

  test('counts characters live against the selected tier, an emoji as one', async () => {
    server();
    const page = await openHome();
    input(page, '#prompt', '你好😀');
    await until(() => page.querySelector('#prompt-count')?.dom?.textContent === '3/20', 'count 3/20');
    tap(page, '#tier-expert');
    await until(() => page.querySelector('#prompt-count')?.dom?.textContent === '3/200', 'count against expert');
    expect(page.querySelector('#pay')?.dom?.textContent).toContain('¥4.99');
  });

  test('an over-long prompt blocks paying with a clear message until it fits', async () => {
    const cloud = server();
    const page = await openHome();
    input(page, '#prompt', 'x'.repeat(21));
    await until(() => page.instance.data.overLimit === true, 'over limit');
    expect(page.querySelector('#limit-message')?.dom?.textContent).toBe('问题太长了：21 字，这个套餐最多 20 字。请删减后再提问。');
    expect(attribute(page, '#pay', 'disabled')).toBe(true);
    tap(page, '#pay');
    await settle();
    expect(cloud.callsTo('createOrder')).toHaveLength(0);
    expect(requestPayment).not.toHaveBeenCalled();
    // The expert tier takes 200 characters: the same prompt may be paid for there.
    tap(page, '#tier-expert');
    await until(() => page.instance.data.canPay === true, 'payable on expert');
    expect(page.querySelector('#limit-message')).toBeUndefined();
  });

  test('over the quick tier\'s limit, the expert tier is offered in one tap, with the question kept', async () => {
    server();
    const page = await openHome();
    const question = '请'.repeat(21);
    input(page, '#prompt', question);
    await until(() => page.querySelector('#switch-tier') !== undefined, 'the suggestion');
    expect(page.querySelector('#switch-tier')?.dom?.textContent).toBe('改用「专家长文」（最多 200 字），问题保留');
    tap(page, '#switch-tier');
    await until(() => page.instance.data.selectedTierId === 'expert' && page.instance.data.canPay === true, 'the expert tier chosen');
    expect(page.instance.data.prompt).toBe(question);
    expect(page.querySelector('#switch-tier')).toBeUndefined();
    // Longer than every tier takes: nothing to suggest.
    input(page, '#prompt', '请'.repeat(201));
    await until(() => page.instance.data.overLimit === true, 'over every limit');
    expect(page.querySelector('#switch-tier')).toBeUndefined();
  });

  test('paying creates the order, opens WeChat Pay with the server parameters, then goes to the order page', async () => {
    const cloud = server();
    const page = await openHome();
    input(page, '#prompt', 'A haiku about tea');
    await settle();
    tap(page, '#pay');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(cloud.callsTo('createOrder')).toEqual([{ prompt: 'A haiku about tea', tier: 'quick', subscribe: false }]);
    expect(requestPayment).toHaveBeenCalledTimes(1);
    expect(requestPayment.mock.calls[0][0]).toMatchObject(PAYMENT);
    // Quick answers are not long-running: no subscribe dialog.
    expect(requestSubscribeMessage).not.toHaveBeenCalled();
    expect(navigatedTo()).toEqual(['/pages/order/order?orderId=ord_1&paid=1']);
  });

  test('the pay button is disabled while the order is being created, and a second tap does nothing', async () => {
    let release: () => void = () => undefined;
    const cloud = server();
    cloud.handlers.createOrder = () =>
      new Promise((resolve) => {
        release = () => resolve({ ok: true, order: order(), payment: PAYMENT });
      });
    const page = await openHome();
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    await until(() => cloud.callsTo('createOrder').length === 1, 'createOrder called');
    expect(attribute(page, '#pay', 'disabled')).toBe(true);
    expect(page.querySelector('#pay')?.dom?.textContent).toContain('正在处理…');
    tap(page, '#pay');
    await settle();
    expect(cloud.callsTo('createOrder')).toHaveLength(1);
    release();
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(page.instance.data.busy).toBe(false);
  });

  test('a long-running tier offers the subscribe message first and subscribes only when accepted', async () => {
    const cloud = server('TMPL_DONE', order({ tier: 'expert', amountFen: 499 }));
    const page = await openHome();
    tap(page, '#tier-expert');
    input(page, '#prompt', 'A long essay please');
    await until(() => page.instance.data.canPay === true, 'payable');
    expect(visibleText(page)).toContain('订阅消息');
    tap(page, '#pay');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(requestSubscribeMessage).toHaveBeenCalledTimes(1);
    expect(requestSubscribeMessage.mock.calls[0][0]).toMatchObject({ tmplIds: ['TMPL_DONE'] });
    expect((cloud.callsTo('createOrder')[0] as CreateOrderInput).subscribe).toBe(true);

    subscribeDialog('reject');
    const declined = server('TMPL_DONE', order({ tier: 'expert', amountFen: 499 }));
    const again = await openHome();
    tap(again, '#tier-expert');
    input(again, '#prompt', 'Another essay');
    await until(() => again.instance.data.canPay === true, 'payable');
    tap(again, '#pay');
    await until(() => navigateTo.mock.calls.length === 2, 'second navigation');
    expect((declined.callsTo('createOrder')[0] as CreateOrderInput).subscribe).toBe(false);
  });

  test('without a configured template no subscribe dialog is shown', async () => {
    const cloud = server(null, order({ tier: 'expert', amountFen: 499 }));
    const page = await openHome();
    tap(page, '#tier-expert');
    input(page, '#prompt', 'A long essay please');
    await until(() => page.instance.data.canPay === true, 'payable');
    expect(page.querySelector('#subscribe-hint')).toBeUndefined();
    tap(page, '#pay');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(requestSubscribeMessage).not.toHaveBeenCalled();
    expect((cloud.callsTo('createOrder')[0] as CreateOrderInput).subscribe).toBe(false);
  });

  test('a cancelled payment is explained; the order can be paid again with the same parameters', async () => {
    requestPayment = paymentSheet('cancel', 'paid');
    const cloud = server();
    const page = await openHome();
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#notice') !== undefined, 'the cancelled payment explained');
    expect(page.querySelector('#notice')?.dom?.textContent).toBe('你取消了支付，没有扣款。可以重新支付，或取消这个订单。');
    // The order waiting for payment is shown with its own tier and question, and nothing beside it to type into.
    expect(textOf(page, '#pending-tier')).toBe('待支付的订单 · 快速回答');
    expect(textOf(page, '#pending-question')).toBe('question');
    expect(page.querySelector('#prompt')).toBeUndefined();
    expect(navigateTo).not.toHaveBeenCalled();
    tap(page, '#pay-again');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation after paying again');
    expect(requestPayment).toHaveBeenCalledTimes(2);
    expect(requestPayment.mock.calls[1][0]).toMatchObject(PAYMENT);
    expect(cloud.callsTo('createOrder')).toHaveLength(1);
    expect(navigatedTo()).toEqual(['/pages/order/order?orderId=ord_1&paid=1']);
  });

  test('an unpaid order paid elsewhere meanwhile is no longer offered when the user comes back', async () => {
    requestPayment = paymentSheet('cancel');
    const cloud = server();
    cloud.handlers.getOrder = (input) => ({ ok: true, order: order({ orderId: input.orderId, status: 'pending_payment' }) });
    const page = await openHome();
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    // The user comes back once the payment attempt is over (a show during it is the pay sheet closing).
    await until(() => page.querySelector('#pay-again') !== undefined && page.instance.data.busy === false, 'pay again offered');
    // Still unpaid: the offer stays.
    page.triggerPageLifeTime('show');
    await until(() => cloud.callsTo('getOrder').length === 1, 'rechecked');
    await settle();
    expect(page.querySelector('#pay-again')).toBeDefined();
    // Paid from the order page meanwhile: the offer goes.
    cloud.handlers.getOrder = (input) => ({ ok: true, order: order({ orderId: input.orderId, status: 'paid', rev: 2 }) });
    page.triggerPageLifeTime('show');
    await until(() => page.querySelector('#pay') !== undefined, 'a fresh pay button');
    expect(page.querySelector('#pay-again')).toBeUndefined();
    expect(cloud.callsTo('getOrder')).toEqual([{ orderId: 'ord_1' }, { orderId: 'ord_1' }]);
  });

  test('a failed payment is explained once, without repeating itself; the order can then be cancelled', async () => {
    requestPayment = paymentSheet('system error');
    const cloud = server();
    const page = await openHome();
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#notice') !== undefined, 'the failure explained');
    expect(page.querySelector('#notice')?.dom?.textContent).toBe('支付没有完成。如果没有扣款，可以重新支付，或取消这个订单。');
    // Declining the confirmation keeps the order as it was.
    const modal = answerModals(false);
    tap(page, '#cancel-order');
    await until(() => modal.mock.calls.length === 1, 'confirmation asked');
    await settle();
    expect(cloud.callsTo('cancelOrder')).toHaveLength(0);
    expect(page.querySelector('#pay-again')).toBeDefined();
    expect(modal.mock.calls[0]?.[0]).toMatchObject({ content: '取消这个问题的支付吗？不会扣款，问题会放回输入框，可以修改后再问。' });
    answerModals(true);
    tap(page, '#cancel-order');
    await until(() => page.querySelector('#pay') !== undefined, 'back to a fresh pay button');
    expect(cloud.callsTo('cancelOrder')).toEqual([{ orderId: 'ord_1' }]);
    // The question is back in the box, ready to edit or ask again.
    expect(page.instance.data.prompt).toBe('question');
    // Said once in a toast; no notice lingers over the next question.
    expect(page.querySelector('#notice')).toBeUndefined();
    expect(navigateTo).not.toHaveBeenCalled();
  });

  test('cancelling an order that was in fact paid opens its order page instead', async () => {
    requestPayment = paymentSheet('cancel');
    const cloud = server();
    cloud.handlers.cancelOrder = () => ({
      ok: false,
      error: { code: 'INVALID_STATE', message: 'this order has already been paid', order: order({ status: 'paid', rev: 2 }) },
    });
    const page = await openHome();
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#notice') !== undefined && page.instance.data.busy === false, 'the payment sheet closed');
    tap(page, '#cancel-order');
    await until(() => navigateTo.mock.calls.length === 1, 'navigation');
    expect(navigatedTo()).toEqual(['/pages/order/order?orderId=ord_1']);
  });

  test('ACTIVE_PAYMENT_EXISTS shows that pending order with its own question, without opening a new payment', async () => {
    const cloud = server();
    cloud.handlers.createOrder = () => ({
      ok: false,
      error: { code: 'ACTIVE_PAYMENT_EXISTS', message: 'you already have an order waiting for payment', order: order({ orderId: 'ord_pending', prompt: '昨天的问题 [PHONE]' }), payment: PAYMENT },
    });
    const page = await openHome();
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#pending') !== undefined, 'the pending order shown');
    expect(textOf(page, '#pending-question')).toBe('昨天的问题 手机号已隐去');
    expect(textOf(page, '#notice')).toBe('你有一个问题还没支付（如下）：继续支付，或取消它再问新的。你刚写的问题已保留。');
    expect(page.querySelector('#prompt')).toBeUndefined();
    expect(textOf(page, '#pay-again')).toBe('重新支付 ¥0.50');
    expect(page.querySelector('#pay')).toBeUndefined();
    expect(requestPayment).not.toHaveBeenCalled();
    expect(navigateTo).not.toHaveBeenCalled();
  });

  test('server refusals are explained plainly and nothing is paid', async () => {
    const cloud = server();
    cloud.handlers.createOrder = () => ({ ok: false, error: { code: 'PAYMENT_UNAVAILABLE', message: 'down' } });
    const page = await openHome();
    input(page, '#prompt', 'question');
    await settle();
    tap(page, '#pay');
    await until(() => page.querySelector('#notice') !== undefined, 'notice');
    expect(page.querySelector('#notice')?.dom?.textContent).toBe('微信支付暂时不可用，没有扣款，请稍后再试');
    expect(requestPayment).not.toHaveBeenCalled();
    expect(page.instance.data.canPay).toBe(true);
  });

  test('speaks English when the phone does, and switches language on request', async () => {
    wxApi.getSystemInfoSync = (() => ({ ...originals.getSystemInfoSync(), language: 'en' })) as typeof wx.getSystemInfoSync;
    server();
    const page = await openHome();
    const text = visibleText(page);
    expect(text).toContain('Quick answer');
    expect(text).toContain('Pay ¥0.50');
    expect(text).toContain('Up to 20 characters');
    tap(page, '#language');
    await until(() => visibleText(page).includes('快速回答'), 'Chinese after switching');
  });
});
