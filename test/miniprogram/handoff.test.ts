/** @jest-environment jsdom */
/**
 * A follow-up the user cannot pay for: the conversation page keeps it and opens the home page with
 * `?topUp=1`; the home page's top-up sheet is for that question, and once the tokens are in (or the
 * sheet is closed) the user is back in the conversation, where the question is still in the box and
 * goes out with the conversation's id.
 */
import { closePages, FakeCloud, input, loginCodes, openPage, order, resetCloud, tap, textOf, TIERS, until, virtualParams, wxGlobal, type PageComponent } from './harness';
import { keptQuestion } from '../../miniprogram/services/handoff';
import { forgetTierTitles } from '../../miniprogram/services/tierNames';
import type { ClientOrder, CreateOrderInput, CreateTopUpInput, Pack, TopUp, VirtualPaymentParams } from '../../miniprogram/services/types';

type WxOptions = { url?: string; delta?: number; title?: string; success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void };

const wxApi = wxGlobal();
const originals = { navigateTo: wxApi.navigateTo, navigateBack: wxApi.navigateBack, requestVirtualPayment: wxApi.requestVirtualPayment, showToast: wxApi.showToast, login: wxApi.login };

const PACKS: Pack[] = [{ packId: 'small', tokens: 60, priceFen: 50 }];
/** The quick tier is also sold as an item: a handed-over follow-up is still only offered packs. */
const VIRTUAL_TIERS = TIERS.map((tier) => (tier.id === 'quick' ? { ...tier, productId: 'quick_answer' } : tier));
const FIRST: ClientOrder = order({ orderId: 'ord_1', status: 'completed', payWith: 'tokens', amountFen: 0, amountTokens: 5, conversationId: 'c_1', prompt: '用三句话介绍长城', output: '长城是古代的防御工程。', outputComplete: true, rev: 5 });

/** A server selling with tokens, holding conversation c_1; a paid top-up credits its pack as WeChat does at payment. */
function server(start: number): FakeCloud & { balance: { value: number } } {
  const balance = { value: start };
  let orders = 1;
  const cloud = new FakeCloud({
    listTiers: () => ({ ok: true, tiers: VIRTUAL_TIERS, subscribeTemplateId: null, packs: PACKS, payMode: 'virtual', support: { contact: null } }),
    getBalance: () => ({ ok: true, balance: balance.value }),
    getConversation: () => ({ ok: true, conversation: { conversationId: 'c_1', title: FIRST.prompt, turns: [FIRST] } }),
    createOrder: (request: CreateOrderInput) => {
      const tier = VIRTUAL_TIERS.find((item) => item.id === request.tier);
      if (!tier) return { ok: false, error: { code: 'UNKNOWN_TIER', message: 'no such tier' } };
      if (balance.value < tier.priceTokens) return { ok: false, error: { code: 'INSUFFICIENT_BALANCE', message: 'not enough tokens', balance: balance.value, priceTokens: tier.priceTokens } };
      balance.value -= tier.priceTokens;
      orders += 1;
      return { ok: true, order: order({ orderId: `ord_${orders}`, status: 'paid', payWith: 'tokens', amountFen: 0, amountTokens: tier.priceTokens, conversationId: request.conversationId ?? 'c_new', prompt: request.prompt, rev: 2 }) };
    },
    getOrder: ({ orderId }) => ({ ok: true, order: order({ orderId, status: 'generating', payWith: 'tokens', conversationId: 'c_1', rev: 3 }) }),
    createTopUp: (request: CreateTopUpInput) => {
      const topUp: TopUp = { outTradeNo: `TU-${request.packId}`, ...virtualParams(`TU-${request.packId}`, 'short_series_coin'), mode: 'short_series_coin' };
      return { ok: true, topUp };
    },
  }).install();
  return Object.assign(cloud, { balance });
}

function creditingSheet(cloud: ReturnType<typeof server>): void {
  wxApi.requestVirtualPayment = ((options: VirtualPaymentParams & { success?: (result: { errMsg: string }) => void }) => {
    cloud.balance.value += PACKS[0]?.tokens ?? 0;
    setTimeout(() => options.success?.({ errMsg: 'requestVirtualPayment:ok' }), 0);
  }) as unknown as typeof wx.requestVirtualPayment;
}

let navigateTo: jest.Mock;
let navigateBack: jest.Mock;
let toasts: string[];

beforeEach(() => {
  navigateTo = jest.fn();
  navigateBack = jest.fn();
  toasts = [];
  wxApi.navigateTo = navigateTo as unknown as typeof wx.navigateTo;
  wxApi.navigateBack = navigateBack as unknown as typeof wx.navigateBack;
  wxApi.showToast = ((options: WxOptions) => void toasts.push(options.title ?? '')) as unknown as typeof wx.showToast;
  forgetTierTitles();
  loginCodes();
});

afterEach(() => {
  closePages();
  Object.assign(wxApi, originals);
  resetCloud();
});

/** The conversation page, its follow-up refused for want of tokens: the home page is asked to top up. */
async function followUpWithoutTokens(text: string): Promise<PageComponent> {
  const conversation = openPage('pages/conversation/conversation', { conversationId: 'c_1' });
  // The catalog is in once the send button names the price of a follow-up (5 tokens for the quick tier).
  await until(() => !conversation.instance.data.loading && / 5 /.test(conversation.instance.data.sendLabel as string), 'the conversation');
  input(conversation, '#follow-up', text);
  await until(() => conversation.instance.data.canSend === true, 'sendable');
  tap(conversation, '#send');
  await until(() => navigateTo.mock.calls.length === 1, 'the home page asked to top up');
  expect((navigateTo.mock.calls[0]?.[0] as WxOptions).url).toBe('/pages/index/index?topUp=1');
  return conversation;
}

/** The home page WeChat opens for `/pages/index/index?topUp=1`: onLoad receives the query. */
async function openTopUpHome(): Promise<PageComponent> {
  const home = openPage('pages/index/index');
  (home.instance as unknown as { onLoad(query: Record<string, string>): void }).onLoad({ topUp: '1' });
  await until(() => home.querySelector('#pack-small') !== undefined, 'the top-up sheet with its packs');
  return home;
}

describe("the conversation page's top-up, on the home page", () => {
  test('the sheet is for the kept follow-up; once the tokens are in, back to the conversation, where the question goes out in it', async () => {
    const cloud = server(3);
    creditingSheet(cloud);
    const conversation = await followUpWithoutTokens('再短一点');
    expect(keptQuestion()).toEqual({ prompt: '再短一点', tier: 'quick', conversationId: 'c_1', priceTokens: 5, balance: 3 });

    const home = await openTopUpHome();
    expect(textOf(home, '#topup-need')).toBe('这个回答需要 5 代币，你现在有 3 个。充值后再提问，你写的问题会保留。');
    expect(textOf(home, '#topup-handoff')).toBe('充值到账后会回到对话，你的问题还在输入框里。');
    // The follow-up is paid with tokens in its conversation: no one-answer purchase for it.
    expect(home.querySelector('#buy-one')).toBeUndefined();
    tap(home, '#pack-small');
    await until(() => navigateBack.mock.calls.length === 1, 'back to the conversation');
    expect(cloud.callsTo('createTopUp')).toEqual([{ packId: 'small', platform: 'android' }]);
    expect(toasts).toContain('充值成功，到账 60 代币。');
    expect(home.querySelector('#topup')).toBeUndefined();
    // Nothing was asked on the home page.
    expect(cloud.callsTo('createOrder')).toHaveLength(1);

    conversation.triggerPageLifeTime('hide');
    conversation.triggerPageLifeTime('show');
    expect(conversation.instance.data.draft).toBe('再短一点');
    await until(() => conversation.instance.data.canSend === true, 'sendable again');
    tap(conversation, '#send');
    await until(() => conversation.querySelectorAll('.turn').length === 2, 'the follow-up asked');
    expect(cloud.callsTo('createOrder')[1]).toMatchObject({ prompt: '再短一点', tier: 'quick', conversationId: 'c_1', payWith: 'tokens' });
    expect(keptQuestion()).toBeNull();
    expect(cloud.balance.value).toBe(58);
  });

  test('closing the sheet goes back to the conversation with the question still kept; in English too', async () => {
    wxApi.setStorageSync('locale', 'en');
    server(0);
    await followUpWithoutTokens('Shorter');
    const home = await openTopUpHome();
    expect(textOf(home, '#topup-need')).toBe('This answer takes 5 tokens and you have 0. Top up, then ask: your question is kept.');
    expect(textOf(home, '#topup-handoff')).toBe('Once the tokens arrive you go back to the conversation; your question is still in the box.');
    tap(home, '#topup-close');
    await until(() => navigateBack.mock.calls.length === 1, 'back to the conversation');
    expect(keptQuestion()).toMatchObject({ prompt: 'Shorter', conversationId: 'c_1' });
  });

  test('opened as usual, the home page offers no top-up of its own accord, even with a question kept', async () => {
    server(0);
    await followUpWithoutTokens('再短一点');
    const home = openPage('pages/index/index');
    await until(() => !home.instance.data.loadingTiers, 'the tiers');
    expect(home.querySelector('#topup')).toBeUndefined();
  });
});
