/** @jest-environment jsdom */
import {
  ANDROID,
  closePages,
  FakeCloud,
  input,
  IOS,
  IOS_14,
  IOS_OLD_WECHAT,
  MINIPROGRAM_ROOT,
  openPage,
  order,
  resetCloud,
  tap,
  textOf,
  TIERS,
  until,
  useDevice,
  virtualPaymentSheet,
  visibleText,
  wxGlobal,
  type FakeDevice,
  type PageComponent,
} from './harness';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, iosMajorVersion, virtualPaymentAvailable } from '../../miniprogram/services/platform';
import { readFailure } from '../../miniprogram/services/virtualPayment';
import type { ClientOrder, CreateOrderInput, Pack } from '../../miniprogram/services/types';

const wxApi = wxGlobal();
const originals = { navigateTo: wxApi.navigateTo, requestVirtualPayment: wxApi.requestVirtualPayment, requestPayment: wxApi.requestPayment };

const PACKS: Pack[] = [{ packId: 'large', tokens: 600, priceFen: 500 }];
const VIRTUAL_TIERS = TIERS.map((tier) => ({ ...tier, productId: `${tier.id}_item` }));

/**
 * Words that read as a sale, in both languages: WeChat's examples (购买、已购、付费、支付) and their
 * kin, money, packs, orders and refunds. None may appear on a phone that cannot pay.
 */
const SALE_WORDS = /¥|元|支付|付款|付费|购买|已购|买|充值|价格|订单|退款|扣款|套餐|\bpay|\bpaid\b|price|\bbuy|purchase|top[ -]?up|recharge|\border|refund|charge|\bpack|yuan|money/i;

/** The token spends a phone that cannot pay may still make, and what it has to show for them. */
const TOKEN_ORDER: ClientOrder = order({ orderId: 'ord_tokens', status: 'completed', payWith: 'tokens', amountFen: 0, amountTokens: 5, output: '回答', outputComplete: true, rev: 5 });
/** An answer bought elsewhere (an Android phone of the same user): its money is not shown here. */
const BOUGHT_ORDER: ClientOrder = order({ orderId: 'ord_bought', status: 'refunded', payWith: 'purchase', amountFen: 499, tier: 'expert', output: '', rev: 7, refundedAt: Date.UTC(2026, 10, 25, 12, 0) });
const RETURNED_ORDER: ClientOrder = order({ orderId: 'ord_returned', status: 'refunded', payWith: 'tokens', amountFen: 0, amountTokens: 50, tier: 'expert', rev: 7 });

const CONVERSATION_ID = TOKEN_ORDER.conversationId;
const SUPPORT = 'support@example.com';

function server(balance: number): FakeCloud {
  return new FakeCloud({
    listTiers: () => ({ ok: true, tiers: VIRTUAL_TIERS, subscribeTemplateId: null, packs: PACKS, payMode: 'virtual', support: { contact: SUPPORT } }),
    getBalance: () => ({ ok: true, balance }),
    createOrder: (request: CreateOrderInput) => {
      const tier = VIRTUAL_TIERS.find((item) => item.id === request.tier);
      if (!tier || balance < tier.priceTokens) return { ok: false, error: { code: 'INSUFFICIENT_BALANCE', message: 'short', balance, priceTokens: tier?.priceTokens ?? 0 } };
      return { ok: true, order: { ...TOKEN_ORDER, status: 'generating', prompt: request.prompt } };
    },
    getOrder: ({ orderId }) => {
      const found = [TOKEN_ORDER, BOUGHT_ORDER, RETURNED_ORDER].find((item) => item.orderId === orderId);
      return found ? { ok: true, order: found } : { ok: false, error: { code: 'NOT_FOUND', message: 'none' } };
    },
    listOrders: () => ({ ok: true, orders: [TOKEN_ORDER, BOUGHT_ORDER, RETURNED_ORDER], nextCursor: null }),
    listConversations: () => ({ ok: true, conversations: [{ conversationId: CONVERSATION_ID, title: '写一首关于茶的诗', turns: 3, updatedAt: Date.UTC(2026, 10, 25, 12, 0) }], nextCursor: null }),
    getConversation: () => ({ ok: true, conversation: { conversationId: CONVERSATION_ID, title: '写一首关于茶的诗', turns: [TOKEN_ORDER, BOUGHT_ORDER, RETURNED_ORDER] } }),
    reportAnswer: () => ({ ok: true, reportId: 'rep_1' }),
  }).install();
}

let navigateTo: jest.Mock;

beforeEach(() => {
  navigateTo = jest.fn();
  wxApi.navigateTo = navigateTo as unknown as typeof wx.navigateTo;
  wxApi.requestPayment = jest.fn() as unknown as typeof wx.requestPayment;
});

afterEach(() => {
  closePages();
  Object.assign(wxApi, originals);
  resetCloud();
});

async function openHome(): Promise<PageComponent> {
  const page = openPage('pages/index/index');
  await until(() => !page.instance.data.loadingTiers && !page.instance.data.balanceText.endsWith('—'), 'tiers and balance loaded');
  return page;
}

const OLD_PHONES: Array<[string, FakeDevice]> = [
  ['an iPhone with WeChat older than 8.0.68', IOS_OLD_WECHAT],
  ['an iPhone on iOS 14', IOS_14],
];

describe.each(OLD_PHONES)('on %s (virtual payment cannot reach Apple)', (_name, device) => {
  beforeEach(() => useDevice(device));

  test('home shows no price, pack, buy button or payment word; tokens bought elsewhere are spent as usual', async () => {
    const cloud = server(12);
    const sheet = virtualPaymentSheet('paid');
    const page = await openHome();
    expect(textOf(page, '#balance-text')).toBe('代币 12');
    expect(textOf(page, '#price-quick')).toBe('每次 5 代币');
    expect(page.querySelector('#open-topup')).toBeUndefined();
    expect(page.querySelector('#unavailable')).toBeUndefined();
    expect(visibleText(page)).not.toMatch(SALE_WORDS);
    input(page, '#prompt', '写一首关于茶的诗');
    await until(() => page.instance.data.canPay === true, 'the question can be asked');
    expect(visibleText(page)).not.toMatch(SALE_WORDS);
    tap(page, '#pay');
    await until(() => navigateTo.mock.calls.length === 1, 'the answer page');
    expect((cloud.callsTo('createOrder')[0] as CreateOrderInput).payWith).toBe('tokens');
    expect(sheet.mock).not.toHaveBeenCalled();
    tap(page, '#language');
    await until(() => textOf(page, '#balance-text') === 'Tokens: 12', 'English');
    expect(visibleText(page)).not.toMatch(SALE_WORDS);
    tap(page, '#language');
  });

  test('a user without enough tokens is told, in WeChat\'s words for an unavailable feature, and offered nothing to buy', async () => {
    server(0);
    const sheet = virtualPaymentSheet('paid');
    const page = await openHome();
    input(page, '#prompt', '写一首关于茶的诗');
    await until(() => page.querySelector('#unavailable') !== undefined, 'the unavailable feature named');
    expect(textOf(page, '#unavailable')).toBe('由于相关规范，iOS功能暂不可用');
    expect(page.instance.data.canPay).toBe(false);
    expect(page.querySelector('#topup')).toBeUndefined();
    expect(visibleText(page)).not.toMatch(SALE_WORDS);
    tap(page, '#language');
    await until(() => textOf(page, '#unavailable') === 'Due to platform rules, this feature is not available on iOS for now.', 'in English');
    expect(visibleText(page)).not.toMatch(SALE_WORDS);
    tap(page, '#language');
    expect(sheet.mock).not.toHaveBeenCalled();
  });

  test('when the server finds the balance short, the same words, and no top-up sheet', async () => {
    const cloud = server(3);
    // The balance read says 3, enough as far as the page knows for nothing; the server is the judge.
    cloud.handlers.getBalance = () => ({ ok: true, balance: 10 });
    const page = await openHome();
    input(page, '#prompt', '写一首关于茶的诗');
    await until(() => page.instance.data.canPay === true, 'the question can be asked');
    tap(page, '#pay');
    await until(() => page.querySelector('#unavailable') !== undefined, 'the unavailable feature named');
    expect(page.querySelector('#topup')).toBeUndefined();
    expect(visibleText(page)).not.toMatch(SALE_WORDS);
  });

  test('the order page and history (both tabs) show what tokens paid and never money, a refund or an order', async () => {
    server(12);
    const history = openPage('pages/history/history');
    await until(() => history.instance.data.loadedOnce === true, 'the conversations loaded');
    expect(visibleText(history)).toContain('写一首关于茶的诗');
    expect(visibleText(history)).not.toMatch(SALE_WORDS);
    tap(history, '#tab-orders');
    await until(() => history.instance.data.tab === 'orders' && history.instance.data.loadedOnce === true, 'the answers loaded');
    expect(textOf(history, '#tab-orders')).toBe('回答');
    expect(textOf(history, '#paid-ord_tokens')).toBe('5 代币 ·');
    expect(history.querySelector('#paid-ord_bought')).toBeUndefined();
    expect(visibleText(history)).toContain('已退回 50 代币');
    expect(visibleText(history)).not.toMatch(SALE_WORDS);
    for (const id of ['ord_tokens', 'ord_bought', 'ord_returned']) {
      const page = openPage('pages/order/order', { orderId: id });
      await until(() => page.instance.data.phase === 'completed' || page.instance.data.phase === 'refunded', `order ${id} shown`);
      expect({ id, text: visibleText(page) }).toEqual({ id, text: expect.not.stringMatching(SALE_WORDS) as unknown as string });
      expect(page.querySelector('#pay-again')).toBeUndefined();
    }
  });
});

async function openConversation(): Promise<PageComponent> {
  const page = openPage('pages/conversation/conversation', { conversationId: CONVERSATION_ID });
  await until(() => !page.instance.data.loading && page.instance.data.supportContact === SUPPORT && page.instance.data.sendLabel !== '', 'the conversation loaded');
  return page;
}

describe.each(OLD_PHONES)('the conversation page on %s', (_name, device) => {
  beforeEach(() => useDevice(device));

  test('its turns say what tokens paid and what went back, never money, a refund or an order; 举报/反馈 sells nothing either', async () => {
    server(12);
    for (const locale of ['zh', 'en']) {
      wxApi.setStorageSync('locale', locale);
      const page = await openConversation();
      expect(textOf(page, '#paid-0')).toBe(locale === 'zh' ? '5 代币' : '5 tokens');
      // A follow-up goes with the last turn's tier (expert here), in tokens.
      expect(textOf(page, '#send')).toBe(locale === 'zh' ? '发送 · 50 代币' : 'Send · 50 tokens');
      expect(textOf(page, '#returned-2')).toContain(locale === 'zh' ? '50 代币已退回你的余额' : '50 tokens went back to your balance');
      expect(textOf(page, '#returned-1')).toBe(locale === 'zh' ? `编号：${BOUGHT_ORDER.outTradeNo}有疑问请联系：${SUPPORT}` : `Number: ${BOUGHT_ORDER.outTradeNo}Questions? Contact: ${SUPPORT}`);
      expect(visibleText(page)).not.toMatch(SALE_WORDS);
      tap(page, '#report-0');
      await until(() => page.querySelector('#report-sheet-host')?.querySelector('#report-sheet') !== undefined, 'the report sheet');
      expect(visibleText(page)).not.toMatch(SALE_WORDS);
      closePages();
    }
  });

  test('a follow-up without enough tokens: WeChat\'s words for an unavailable feature, the question kept, no top-up opened', async () => {
    const cloud = server(0);
    const page = await openConversation();
    input(page, '#follow-up', '再写一首');
    await until(() => page.instance.data.canSend === true, 'the follow-up can be sent');
    tap(page, '#send');
    await until(() => textOf(page, '#notice') === '由于相关规范，iOS功能暂不可用', 'the unavailable feature named');
    expect(navigateTo).not.toHaveBeenCalled();
    expect(page.instance.data.draft).toBe('再写一首');
    expect((cloud.callsTo('createOrder')[0] as CreateOrderInput).payWith).toBe('tokens');
    expect(visibleText(page)).not.toMatch(SALE_WORDS);
  });
});

describe('where payment can be shown, the order page and history say what was paid', () => {
  test('tokens for a token answer, money for a purchase, and what came back', async () => {
    useDevice(ANDROID);
    server(12);
    const history = openPage('pages/history/history');
    await until(() => history.instance.data.loadedOnce === true, 'history loaded');
    tap(history, '#tab-orders');
    await until(() => history.instance.data.tab === 'orders' && history.instance.data.loadedOnce === true, 'the orders loaded');
    expect(textOf(history, '#tab-orders')).toBe('订单');
    expect(textOf(history, '#paid-ord_tokens')).toBe('5 代币 ·');
    expect(textOf(history, '#paid-ord_bought')).toBe('¥4.99 ·');
    expect(visibleText(history)).toContain('已退款 ¥4.99');
    expect(visibleText(history)).toContain('已退回 50 代币');
    const tokens = openPage('pages/order/order', { orderId: 'ord_tokens' });
    await until(() => textOf(tokens, '#paid') === '消耗：5 代币', 'tokens paid');
    const bought = openPage('pages/order/order', { orderId: 'ord_bought' });
    await until(() => textOf(bought, '#paid') === '金额：¥4.99', 'money paid');
    expect(textOf(bought, '#headline')).toBe('已退款 ¥4.99');
    const returned = openPage('pages/order/order', { orderId: 'ord_returned' });
    await until(() => textOf(returned, '#headline') === '已退回 50 代币', 'tokens returned');
    expect(textOf(returned, '#refund-explain')).toBe('这次没能生成回答，代币已退回你的余额。');
  });
});

describe("the pages' static titles", () => {
  test('no page names a sale in the title WeChat shows before the page sets its own (every phone sees it)', () => {
    const app = JSON.parse(readFileSync(join(MINIPROGRAM_ROOT, 'app.json'), 'utf8')) as { pages: string[]; window?: { navigationBarTitleText?: string } };
    const titles = app.pages.map((page) => (JSON.parse(readFileSync(join(MINIPROGRAM_ROOT, `${page}.json`), 'utf8')) as { navigationBarTitleText?: string }).navigationBarTitleText ?? app.window?.navigationBarTitleText ?? '');
    expect(titles).toContain('回答详情');
    expect(titles.filter((title) => SALE_WORDS.test(title))).toEqual([]);
  });
});

describe('which phones can pay (WeChat docs: 虚拟支付 iOS 端接入: iOS 15+ and WeChat 8.0.68+)', () => {
  test('iOS needs both; other platforms always can', () => {
    expect(virtualPaymentAvailable({ platform: 'ios', system: IOS.system, wechatVersion: '8.0.68' })).toBe(true);
    expect(virtualPaymentAvailable({ platform: 'ios', system: 'iOS 15.0', wechatVersion: '8.1.0' })).toBe(true);
    expect(virtualPaymentAvailable({ platform: 'ios', system: 'iOS 17.5', wechatVersion: '8.0.67' })).toBe(false);
    expect(virtualPaymentAvailable({ platform: 'ios', system: 'iOS 14.8.1', wechatVersion: '8.0.70' })).toBe(false);
    expect(virtualPaymentAvailable({ platform: 'ios', system: 'iPadOS', wechatVersion: '8.0.70' })).toBe(false);
    expect(virtualPaymentAvailable({ platform: 'ios', system: 'iOS 16.1', wechatVersion: '' })).toBe(false);
    expect(virtualPaymentAvailable({ platform: 'android', system: 'Android 9', wechatVersion: '8.0.1' })).toBe(true);
    expect(virtualPaymentAvailable({ platform: 'ohos', system: 'HarmonyOS 5.0', wechatVersion: '1.0.3' })).toBe(true);
    expect(compareVersions('8.0.68', '8.0.68')).toBe(0);
    expect(compareVersions('8.0.100', '8.0.68')).toBe(1);
    expect(compareVersions('8.0', '8.0.1')).toBe(-1);
    expect(iosMajorVersion('iOS 17.5.1')).toBe(17);
  });

  test("wx.requestVirtualPayment's fail codes read as the page explains them", () => {
    expect(readFailure({ errCode: -2, errMsg: 'requestVirtualPayment:fail cancel' })).toEqual({ kind: 'cancelled' });
    expect(readFailure({ errMsg: 'requestVirtualPayment:fail cancel' })).toEqual({ kind: 'cancelled' });
    expect(readFailure({ errCode: -4, errMsg: 'x' })).toMatchObject({ kind: 'failed', reason: 'risk' });
    expect(readFailure({ errCode: -15007, errMsg: 'x' })).toMatchObject({ kind: 'failed', reason: 'session_expired' });
    expect(readFailure({ errCode: -15001, errMsg: 'requestVirtualPayment:fail 参数错误 INVALID_PLATFORM 当前商户尚未开启iOS支付' })).toMatchObject({ reason: 'platform' });
    expect(readFailure({ errCode: -15001, errMsg: 'requestVirtualPayment:fail 参数错误 buyQuantity' })).toMatchObject({ reason: 'other', errCode: -15001 });
    expect(readFailure({ errCode: 1001, errMsg: 'x' })).toMatchObject({ reason: 'other' });
    expect(readFailure(undefined)).toMatchObject({ kind: 'failed', reason: 'other', errCode: null });
  });
});
