/** @jest-environment jsdom */
import {
  closePages,
  FakeCloud,
  input,
  IOS,
  loginCodes,
  openPage,
  order,
  resetCloud,
  settle,
  tap,
  textOf,
  TIERS,
  until,
  useDevice,
  virtualParams,
  virtualPaymentSheet,
  visibleText,
  wxGlobal,
  type PageComponent,
} from './harness';
import { readDraft } from '../../miniprogram/services/draft';
import type { CreateOrderInput, CreateTopUpInput, Pack, TopUp, VirtualPaymentParams } from '../../miniprogram/services/types';

type WxOptions = { url?: string };

const wxApi = wxGlobal();
const originals = {
  navigateTo: wxApi.navigateTo,
  requestPayment: wxApi.requestPayment,
  requestVirtualPayment: wxApi.requestVirtualPayment,
  requestSubscribeMessage: wxApi.requestSubscribeMessage,
  login: wxApi.login,
};

const PACKS: Pack[] = [
  { packId: 'small', tokens: 60, priceFen: 50 },
  { packId: 'large', tokens: 600, priceFen: 500 },
];

/** Under virtual payment the quick tier is also sold as an item (道具直购) at ¥0.50; the expert tier is not. */
const VIRTUAL_TIERS = TIERS.map((tier) => (tier.id === 'quick' ? { ...tier, productId: 'quick_answer' } : tier));

function topUp(outTradeNo: string): TopUp {
  return { outTradeNo, ...virtualParams(outTradeNo, 'short_series_coin'), mode: 'short_series_coin' };
}

/**
 * A server selling with tokens: WeChat's balance (`balance`) pays an answer in full or not at all,
 * and a paid top-up adds its tokens (as WeChat credits them at payment).
 */
function server(start: number): FakeCloud & { balance: { value: number } } {
  const balance = { value: start };
  let orders = 0;
  let topUps = 0;
  const cloud = new FakeCloud({
    listTiers: () => ({ ok: true, tiers: VIRTUAL_TIERS, subscribeTemplateId: null, packs: PACKS, payMode: 'virtual' }),
    getBalance: () => ({ ok: true, balance: balance.value }),
    createOrder: (request: CreateOrderInput) => {
      const tier = VIRTUAL_TIERS.find((item) => item.id === request.tier);
      if (!tier) return { ok: false, error: { code: 'UNKNOWN_TIER', message: 'no such tier' } };
      orders += 1;
      if (request.payWith === 'purchase') {
        return { ok: true, order: order({ orderId: `ord_${orders}`, outTradeNo: `P${orders}`, tier: tier.id, prompt: request.prompt }), payment: virtualParams(`P${orders}`) };
      }
      if (balance.value < tier.priceTokens) return { ok: false, error: { code: 'INSUFFICIENT_BALANCE', message: 'not enough tokens', balance: balance.value, priceTokens: tier.priceTokens } };
      balance.value -= tier.priceTokens;
      return { ok: true, order: order({ orderId: `ord_${orders}`, status: 'generating', tier: tier.id, prompt: request.prompt, payWith: 'tokens', amountFen: 0, amountTokens: tier.priceTokens }) };
    },
    createTopUp: (request: CreateTopUpInput) => {
      topUps += 1;
      return { ok: true, topUp: topUp(`TU${topUps}-${request.packId}`) };
    },
    cancelOrder: ({ orderId }) => ({ ok: true, order: order({ orderId, status: 'closed', rev: 2 }) }),
  }).install();
  return Object.assign(cloud, { balance });
}

/** The virtual payment sheet; a paid top-up credits its pack at once, as WeChat does at payment (the page reads the balance afterwards). */
function creditingSheet(cloud: ReturnType<typeof server>, ...answers: Array<'paid' | number>): { opened: VirtualPaymentParams[] } {
  const opened: VirtualPaymentParams[] = [];
  wxApi.requestVirtualPayment = ((options: VirtualPaymentParams & { success?: (result: { errMsg: string }) => void; fail?: (error: { errCode: number; errMsg: string }) => void }) => {
    opened.push({ signData: options.signData, mode: options.mode, paySig: options.paySig, signature: options.signature });
    const answer = (answers.length > 1 ? answers.shift() : answers[0]) ?? -2;
    if (answer === 'paid') {
      const { outTradeNo } = JSON.parse(options.signData) as { outTradeNo: string };
      cloud.balance.value += PACKS.find((pack) => outTradeNo.endsWith(pack.packId))?.tokens ?? 0;
    }
    setTimeout(() => (answer === 'paid' ? options.success?.({ errMsg: 'requestVirtualPayment:ok' }) : options.fail?.({ errCode: answer, errMsg: `requestVirtualPayment:fail ${answer}` })), 0);
  }) as unknown as typeof wx.requestVirtualPayment;
  return { opened };
}

let navigateTo: jest.Mock;
const navigatedTo = () => navigateTo.mock.calls.map(([options]) => (options as WxOptions).url);

beforeEach(() => {
  navigateTo = jest.fn();
  wxApi.navigateTo = navigateTo as unknown as typeof wx.navigateTo;
  wxApi.requestPayment = jest.fn() as unknown as typeof wx.requestPayment;
  loginCodes();
});

afterEach(() => {
  closePages();
  Object.assign(wxApi, originals);
  resetCloud();
});

async function openHome(): Promise<PageComponent> {
  const page = openPage('pages/index/index');
  await until(() => !page.instance.data.loadingTiers && page.instance.data.balanceText !== '代币余额 —', 'tiers and balance loaded');
  return page;
}

async function ask(page: PageComponent, question: string, tier = 'quick'): Promise<void> {
  tap(page, `#tier-${tier}`);
  input(page, '#prompt', question);
  await until(() => page.instance.data.canPay === true, 'the question can be asked');
  tap(page, '#pay');
}

describe('home under virtual payment: tokens', () => {
  test('shows the balance, each tier in tokens (and its item price where sold as one), and the packs with tokens and price', async () => {
    server(12);
    const page = await openHome();
    expect(textOf(page, '#balance-text')).toBe('代币余额 12');
    expect(textOf(page, '#price-quick')).toBe('每次 5 代币');
    expect(textOf(page, '#price-expert')).toBe('每次 50 代币');
    expect(textOf(page, '#tier-quick')).toContain('或单次 ¥0.50');
    expect(textOf(page, '#tier-expert')).not.toContain('¥');
    expect(page.querySelector('#topup')).toBeUndefined();
    tap(page, '#open-topup');
    await until(() => page.querySelector('#topup') !== undefined, 'the top-up sheet');
    expect(textOf(page, '#pack-small')).toBe('60 代币¥0.50');
    expect(textOf(page, '#pack-large')).toBe('600 代币¥5.00');
    // Opened to browse: no question to buy, so no one-answer purchase.
    expect(page.querySelector('#buy-one')).toBeUndefined();
    tap(page, '#topup-close');
    await until(() => page.querySelector('#topup') === undefined, 'closed');
  });

  test('asking with enough tokens starts the answer at once: no sheet, its conversation opens, the question is done with', async () => {
    const cloud = server(12);
    const sheet = virtualPaymentSheet('paid');
    const page = await openHome();
    expect(textOf(page, '#pay')).toBe('提问 · 5 代币');
    await ask(page, '写一首关于茶的诗');
    await until(() => navigateTo.mock.calls.length === 1, 'the answer page');
    expect(cloud.callsTo('createOrder')).toEqual([{ prompt: '写一首关于茶的诗', tier: 'quick', subscribe: false, payWith: 'tokens', platform: 'android' }]);
    // The first turn of a new conversation: its page is where the answer is written and the follow-ups asked.
    expect(navigatedTo()).toEqual(['/pages/conversation/conversation?conversationId=cConversation000000000001']);
    expect(sheet.mock).not.toHaveBeenCalled();
    expect(wxApi.requestPayment).not.toHaveBeenCalled();
    expect(cloud.callsTo('createTopUp')).toEqual([]);
    expect(page.instance.data.prompt).toBe('');
    expect(readDraft()).toBeNull();
    // Back on the page, the balance is WeChat's again.
    page.triggerPageLifeTime('show');
    await until(() => textOf(page, '#balance-text') === '代币余额 7', 'the balance after the spend');
  });

  test('without enough tokens the top-up is offered and the question kept; after the top-up the balance shows the tokens and the question is asked', async () => {
    const cloud = server(2);
    const sheet = creditingSheet(cloud, 'paid');
    const page = await openHome();
    await ask(page, '写一首关于茶的诗');
    await until(() => page.querySelector('#topup') !== undefined, 'the top-up sheet');
    expect(textOf(page, '#topup-need')).toBe('这个回答需要 5 代币，你现在有 2 个。充值后再提问，你写的问题会保留。');
    expect(textOf(page, '#buy-one')).toBe('只买这一次回答 ¥0.50');
    expect(page.instance.data.prompt).toBe('写一首关于茶的诗');
    expect(readDraft()).toEqual({ prompt: '写一首关于茶的诗', tier: 'quick' });
    expect(navigateTo).not.toHaveBeenCalled();

    tap(page, '#pack-small');
    await until(() => textOf(page, '#notice') === '充值成功，到账 60 代币。', 'the top-up confirmed by the balance');
    expect(cloud.callsTo('createTopUp')).toEqual([{ packId: 'small', platform: 'android' }]);
    // The sheet got the server's parameters unchanged.
    const { outTradeNo: _issued, ...params } = topUp('TU1-small');
    expect(sheet.opened).toEqual([params]);
    expect(textOf(page, '#balance-text')).toBe('代币余额 62');
    expect(page.querySelector('#topup')).toBeUndefined();
    expect(page.instance.data.prompt).toBe('写一首关于茶的诗');

    tap(page, '#pay');
    await until(() => navigateTo.mock.calls.length === 1, 'the answer page');
    expect(cloud.balance.value).toBe(57);
  });

  test('a top-up whose tokens do not show yet says so rather than claiming them', async () => {
    const cloud = server(2);
    virtualPaymentSheet('paid');
    const page = await openHome();
    tap(page, '#open-topup');
    await until(() => page.querySelector('#pack-large') !== undefined, 'packs');
    tap(page, '#pack-large');
    await until(() => textOf(page, '#notice') === '支付已完成，代币可能稍后到账。', 'the slow credit explained');
    // The balance was read again after the sheet, as many times as the schedule allows.
    expect(cloud.callsTo('getBalance').length).toBeGreaterThanOrEqual(4);
    expect(textOf(page, '#balance-text')).toBe('代币余额 2');
  });

  const failures: Array<[number, string]> = [
    [-2, '你取消了支付，没有扣款。'],
    [-1, '支付没有完成，没有扣款。请稍后再试。'],
    [-4, '微信的安全检查拦截了这次支付，没有扣款。'],
    [-15002, '这次支付已经失效，没有扣款，请重新发起。'],
    [-15003, '微信支付系统出错了，没有扣款，请稍后再试。'],
    [-15009, '这个商品暂时还不能购买，没有扣款，请稍后再试。'],
    [-15013, '价格有变化，没有扣款，请刷新后再试。'],
    [-15017, '商家暂时无法收款，没有扣款，请稍后再试。'],
    [-15020, '操作太频繁了，没有扣款。请稍等一会儿再试。'],
    [-15016, '支付没有完成（错误 -15016），没有扣款，请稍后再试。'],
  ];
  test.each(failures)('sheet code %i is explained plainly, the balance is unchanged and the sheet stays open', async (code, message) => {
    const cloud = server(0);
    virtualPaymentSheet(code);
    const page = await openHome();
    tap(page, '#open-topup');
    await until(() => page.querySelector('#pack-small') !== undefined, 'packs');
    tap(page, '#pack-small');
    await until(() => textOf(page, '#topup-notice') === message, `the message for ${code}`);
    expect(page.instance.data.busy).toBe(false);
    expect(textOf(page, '#balance-text')).toBe('代币余额 0');
    expect(cloud.callsTo('createTopUp')).toHaveLength(1);
    expect(wxApi.login).not.toHaveBeenCalled();
  });

  test('in English, a risk-control refusal and a cancelled sheet are explained plainly too', async () => {
    server(0);
    virtualPaymentSheet(-4, -2);
    const page = await openHome();
    tap(page, '#language');
    tap(page, '#open-topup');
    await until(() => page.querySelector('#pack-small') !== undefined, 'packs');
    expect(textOf(page, '#pack-small')).toBe('60 tokens¥0.50');
    tap(page, '#pack-small');
    await until(() => textOf(page, '#topup-notice') === "WeChat's security check stopped this payment; nothing was charged.", 'risk control');
    tap(page, '#pack-small');
    await until(() => textOf(page, '#topup-notice') === 'You cancelled the payment; nothing was charged.', 'cancelled');
    tap(page, '#language');
  });

  test('-15007 (session key expired): wx.login, the server is asked again with the code, and the new sheet pays, once', async () => {
    const cloud = server(0);
    const sheet = virtualPaymentSheet(-15007, 'paid');
    const page = await openHome();
    tap(page, '#open-topup');
    await until(() => page.querySelector('#pack-large') !== undefined, 'packs');
    tap(page, '#pack-large');
    await until(() => sheet.opened.length === 2 && !page.instance.data.busy, 'the second sheet');
    expect(wxApi.login).toHaveBeenCalledTimes(1);
    expect(cloud.callsTo('createTopUp')).toEqual([
      { packId: 'large', platform: 'android' },
      { packId: 'large', platform: 'android', loginCode: 'code-1' },
    ]);
    expect(sheet.opened).toEqual([topUp('TU1-large'), topUp('TU2-large')].map(({ signData, mode, paySig, signature }) => ({ signData, mode, paySig, signature })));
  });

  test('-15007 twice: logged in and asked again only once, then explained', async () => {
    const cloud = server(0);
    const sheet = virtualPaymentSheet(-15007);
    const page = await openHome();
    tap(page, '#open-topup');
    await until(() => page.querySelector('#pack-large') !== undefined, 'packs');
    tap(page, '#pack-large');
    await until(() => textOf(page, '#topup-notice') === '登录状态过期了，没有扣款。请稍后再试。', 'explained');
    expect(sheet.opened).toHaveLength(2);
    expect(cloud.callsTo('createTopUp')).toHaveLength(2);
    expect(wxApi.login).toHaveBeenCalledTimes(1);
  });

  test('SESSION_EXPIRED from the server: wx.login and the same call again with loginCode', async () => {
    const cloud = server(9);
    let first = true;
    cloud.handlers.getBalance = (request) => {
      if (!request.loginCode && first) {
        first = false;
        return { ok: false, error: { code: 'SESSION_EXPIRED', message: 'log in again' } };
      }
      return { ok: true, balance: 9 };
    };
    const page = await openHome();
    expect(textOf(page, '#balance-text')).toBe('代币余额 9');
    expect(cloud.callsTo('getBalance')).toEqual([{}, { loginCode: 'code-1' }]);
  });

  test('the one-answer purchase: its sheet, then its conversation (that turn confirming); a -15007 first cancels the unopened order and buys again with the code', async () => {
    const cloud = server(0);
    const sheet = virtualPaymentSheet(-15007, 'paid');
    const page = await openHome();
    await ask(page, '只问这一次');
    await until(() => page.querySelector('#buy-one') !== undefined, 'offered');
    tap(page, '#buy-one');
    await until(() => navigateTo.mock.calls.length === 1, 'the answer page');
    const purchases = cloud.callsTo('createOrder').filter((call) => (call as CreateOrderInput).payWith === 'purchase');
    expect(purchases).toEqual([
      { prompt: '只问这一次', tier: 'quick', subscribe: false, payWith: 'purchase', platform: 'android' },
      { prompt: '只问这一次', tier: 'quick', subscribe: false, payWith: 'purchase', platform: 'android', loginCode: 'code-1' },
    ]);
    expect(cloud.callsTo('cancelOrder')).toEqual([{ orderId: 'ord_2' }]);
    expect(sheet.opened).toEqual([virtualParams('P2'), virtualParams('P3')]);
    expect(navigatedTo()).toEqual(['/pages/conversation/conversation?conversationId=cConversation000000000001&paid=ord_3']);
    expect(readDraft()).toBeNull();
  });

  test('BELOW_PLATFORM_MINIMUM and other refusals of a top-up are explained; nothing opens', async () => {
    const cloud = server(0);
    const sheet = virtualPaymentSheet('paid');
    cloud.handlers.createTopUp = () => ({ ok: false, error: { code: 'BELOW_PLATFORM_MINIMUM', message: 'iOS takes at least 100 fen' } });
    const page = await openHome();
    tap(page, '#open-topup');
    await until(() => page.querySelector('#pack-small') !== undefined, 'packs');
    tap(page, '#pack-small');
    await until(() => textOf(page, '#topup-notice') === '在 iOS 上单笔支付至少 ¥1', 'explained');
    cloud.handlers.createTopUp = () => ({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down' } });
    tap(page, '#pack-small');
    await until(() => textOf(page, '#topup-notice') === '操作太频繁了，请稍等一分钟再试', 'rate limited');
    expect(sheet.mock).not.toHaveBeenCalled();
  });

  test('on an iPhone that can pay (iOS 15+, WeChat 8.0.68+), only what Apple takes is offered: packs and items of ¥1 or more', async () => {
    useDevice(IOS);
    const cloud = server(0);
    const page = await openHome();
    expect(textOf(page, '#tier-quick')).not.toContain('¥');
    await ask(page, '写一首诗');
    await until(() => page.querySelector('#topup') !== undefined, 'the top-up sheet');
    expect(page.querySelector('#pack-small')).toBeUndefined();
    expect(textOf(page, '#pack-large')).toBe('600 代币¥5.00');
    expect(page.querySelector('#buy-one')).toBeUndefined();
    expect((cloud.callsTo('createOrder')[0] as CreateOrderInput).platform).toBe('ios');
    expect(visibleText(page)).toContain('充值代币');
  });

  test('a long-running tier asks for the subscribe message from the tap, before spending tokens', async () => {
    const cloud = server(100);
    cloud.handlers.listTiers = () => ({ ok: true, tiers: VIRTUAL_TIERS, subscribeTemplateId: 'TMPL', packs: PACKS, payMode: 'virtual' });
    const subscribe = jest.fn((options: { tmplIds: string[]; success?: (answer: Record<string, string>) => void }) => setTimeout(() => options.success?.({ errMsg: 'requestSubscribeMessage:ok', TMPL: 'accept' }), 0));
    wxApi.requestSubscribeMessage = subscribe as unknown as typeof wx.requestSubscribeMessage;
    const page = await openHome();
    await ask(page, '写一篇长文', 'expert');
    await until(() => navigateTo.mock.calls.length === 1, 'the answer page');
    expect(subscribe).toHaveBeenCalledTimes(1);
    expect(cloud.callsTo('createOrder')).toEqual([{ prompt: '写一篇长文', tier: 'expert', subscribe: true, payWith: 'tokens', platform: 'android' }]);
    await settle();
  });
});
