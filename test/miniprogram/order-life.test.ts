/** @jest-environment jsdom */
import { setRevealPace } from '../../miniprogram/services/textFlow';
import { forgetTierTitles } from '../../miniprogram/services/tierNames';
import type { Turn } from '../../miniprogram/services/types';
import { answerText, closePages, fastPolling, fastReveal, FakeCloud, normalPolling, normalReveal, openPage, order, resetCloud, settle, tap, textOf, TIERS, until, wxGlobal, type PageComponent } from './harness';
import { VirtualTimers } from './virtualTimers';

type WxOptions = { url?: string; title?: string };

const wxApi = wxGlobal();
const originals = { navigateTo: wxApi.navigateTo, reLaunch: wxApi.reLaunch, showToast: wxApi.showToast, getSystemInfoSync: wxApi.getSystemInfoSync };
const SUPPORT = '客服微信 ai-help';
let navigateTo: jest.Mock;
let reLaunch: jest.Mock;

beforeEach(() => {
  navigateTo = jest.fn();
  reLaunch = jest.fn();
  wxApi.navigateTo = navigateTo as unknown as typeof wx.navigateTo;
  wxApi.reLaunch = reLaunch as unknown as typeof wx.reLaunch;
  wxApi.showToast = jest.fn() as unknown as typeof wx.showToast;
  forgetTierTitles();
  fastReveal();
  fastPolling();
});

afterEach(() => {
  normalReveal();
  normalPolling();
  closePages();
  resetCloud();
  Object.assign(wxApi, originals);
});

/** A server whose getOrder answers the given versions of the order in turn (the last one repeats). */
function serve(...versions: Turn[]): FakeCloud {
  return new FakeCloud({
    listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null, support: { contact: SUPPORT } }),
    getOrder: () => ({ ok: true, order: (versions.length > 1 ? versions.shift() : versions[0]) as Turn }),
    reportAnswer: () => ({ ok: true, reportId: 'rep_1' }),
  }).install();
}

const headline = (page: PageComponent) => textOf(page, '#headline');

describe('the answer on the order page, as a user lives it', () => {
  test('"completed" and the copy button appear only once the whole answer is on screen', async () => {
    const clock = new VirtualTimers();
    setRevealPace({ timers: clock, now: () => clock.now, tickMs: 100, smoothMs: 300 });
    const paidAt = Date.now();
    const whole = '长城是中国古代的军事防御工程，绵延两万多公里，始建于春秋战国时期。';
    serve(order({ status: 'generating', rev: 3, paidAt, output: '长城' }), order({ status: 'completed', rev: 4, paidAt, outputComplete: true, output: whole }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.instance.data.phase === 'completed' || (answerText(page).length > 2 && answerText(page) !== whole), 'the last piece flowing in');
    // The text is all in, but not all on screen yet: still "writing", nothing to copy.
    expect(headline(page)).toMatch(/^正在生成…/);
    expect(page.querySelector('#copy')).toBeUndefined();
    clock.runUntil(300);
    await settle();
    expect(answerText(page)).toBe(whole);
    expect(headline(page)).toBe('已完成');
    expect(page.querySelector('#copy')).toBeDefined();
  });

  test('the answer carries the AI label beside it, and links to its conversation', async () => {
    serve({ ...order({ status: 'completed', rev: 5, outputComplete: true, output: '**答**' }), conversationId: 'c_7' });
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#ai-label') !== undefined, 'the label');
    expect(textOf(page, '#ai-label')).toBe('AI生成');
    tap(page, '#open-conversation');
    await until(() => navigateTo.mock.calls.length === 1, 'the conversation');
    expect((navigateTo.mock.calls[0]?.[0] as WxOptions).url).toBe('/pages/conversation/conversation?conversationId=c_7');
  });

  test('an answer cut off at the token limit says so', async () => {
    serve({ ...order({ status: 'completed', rev: 5, outputComplete: true, output: '很长的回答……' }), truncated: true });
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#truncated') !== undefined, 'the notice');
    expect(textOf(page, '#truncated')).toBe('回答达到了这个档位的长度上限，在这里截断了。');
    expect(headline(page)).toBe('已完成');
  });

  test('a refund says what went back, when it arrives, the order number and whom to contact; the buttons say what they do', async () => {
    serve(order({ status: 'refunded', rev: 6, tier: 'expert', amountFen: 499, refundedAt: Date.now(), outTradeNo: 'T2026' }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => (textOf(page, '#returned') ?? '').includes(SUPPORT), 'the refund explained');
    expect(headline(page)).toBe('已退款 ¥4.99');
    expect(textOf(page, '#returned')).toBe(`¥4.99 原路退回你付款的微信支付账户。退回零钱一般 20 分钟内到账，退回银行卡一般 1–3 个工作日，以微信支付的通知为准。订单号：T2026有疑问请联系：${SUPPORT}`);
    expect(textOf(page, '#ask-again')).toBe('重试这个问题');
    expect(textOf(page, '#ask-another')).toBe('问新问题');
  });

  test('a token order that failed says its tokens are back at once', async () => {
    serve({ ...order({ status: 'refunded', rev: 6, amountFen: 0, refundedAt: Date.now(), outTradeNo: 'T9' }), payWith: 'tokens', amountTokens: 80 });
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => (textOf(page, '#returned') ?? '').includes(SUPPORT), 'the return explained');
    expect(headline(page)).toBe('已退回 80 代币');
    expect(textOf(page, '#returned')).toContain('80 代币已退回你的余额，可以马上再用。');
    expect(textOf(page, '#meta')).toContain('消耗：80 代币');
  });

  test('an order that is not found is a page with a clear way on: home, or the conversations', async () => {
    new FakeCloud({ listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null }), getOrder: () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'no such order' } }) }).install();
    const page = openPage('pages/order/order', { orderId: 'gone' });
    await until(() => page.querySelector('#missing') !== undefined, 'the missing page');
    expect(textOf(page, '#missing')).toContain('找不到这个订单');
    expect(textOf(page, '#missing')).toContain('这个订单可能已随它的对话一起被删除，或属于另一个微信账号。');
    expect(textOf(page, '#missing-home')).toBe('回到首页');
    tap(page, '#missing-history');
    await until(() => navigateTo.mock.calls.length === 1, 'history');
    expect((navigateTo.mock.calls[0]?.[0] as WxOptions).url).toBe('/pages/history/history');
    tap(page, '#missing-home');
    await until(() => reLaunch.mock.calls.length === 1, 'home');
  });

  test('an answer restarted on another model says so when the long-poll finds the text replaced', async () => {
    const paidAt = Date.now();
    serve(order({ status: 'generating', rev: 3, paidAt, output: '第一个模型写了一半' }), order({ status: 'generating', rev: 6, paidAt, output: '第二' }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => answerText(page) === '第二', 'the new text');
    expect(textOf(page, '#notice')).toBe('正在换一个模型重新回答，之前的内容已清除。');
  });

  test('a long question is folded to three lines with a tap to expand', async () => {
    serve(order({ status: 'completed', rev: 5, outputComplete: true, output: '答', prompt: '请解释一下。'.repeat(40) }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#question-toggle') !== undefined, 'the fold');
    expect(page.querySelector('#question-text')?.dom?.className).toContain('folded');
    tap(page, '#question-toggle');
    await until(() => !(page.querySelector('#question-text')?.dom?.className ?? '').includes('folded'), 'expanded');
  });

  test('举报/反馈 on the answer sends a reason to reportAnswer', async () => {
    const cloud = serve(order({ status: 'completed', rev: 5, outputComplete: true, output: '答' }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#report') !== undefined, 'the report link');
    tap(page, '#report');
    const sheet = () => page.querySelector('#report-sheet-host');
    await until(() => sheet()?.querySelector('#report-sheet') !== undefined, 'the sheet');
    sheet()?.querySelector('#reason-harmful')?.dispatchEvent('tap');
    await settle();
    sheet()?.querySelector('#report-submit')?.dispatchEvent('tap');
    await until(() => cloud.callsTo('reportAnswer').length === 1, 'reported');
    expect(cloud.callsTo('reportAnswer')).toEqual([{ orderId: 'ord_1', reason: 'harmful' }]);
    await until(() => sheet()?.querySelector('#report-sheet') === undefined, 'the sheet closed');
  });
});
