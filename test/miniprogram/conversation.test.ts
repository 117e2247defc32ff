/** @jest-environment jsdom */
import { forgetTierTitles } from '../../miniprogram/services/tierNames';
import { keptQuestion, TOP_UP_HANDOFF_KEY } from '../../miniprogram/services/handoff';
import { nodesText, type AnswerBlock } from '../../miniprogram/services/markdown';
import { setChunkedTransport } from '../../miniprogram/services/stream';
import type { Conversation, CreateOrderInput, Outcome, Turn, GetOrderResult } from '../../miniprogram/services/types';
import { FakeStreamServer } from './fakeStream';
import { answerModals, closePages, fastPolling, fastReveal, FakeCloud, input, normalPolling, normalReveal, openPage, order, PAYMENT, resetCloud, settle, tap, textOf, TIERS, until, visibleText, wxGlobal, type PageComponent } from './harness';

type WxOptions = { success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void; url?: string; delta?: number; data?: string; title?: string };

const wxApi = wxGlobal();
const originals = {
  navigateTo: wxApi.navigateTo,
  navigateBack: wxApi.navigateBack,
  reLaunch: wxApi.reLaunch,
  showToast: wxApi.showToast,
  showModal: wxApi.showModal,
  setClipboardData: wxApi.setClipboardData,
  requestPayment: wxApi.requestPayment,
  login: wxApi.login,
  getSystemInfoSync: wxApi.getSystemInfoSync,
  setStorageSync: wxApi.setStorageSync,
  getStorageSync: wxApi.getStorageSync,
  pageScrollTo: wxApi.pageScrollTo,
  removeStorageSync: wxApi.removeStorageSync,
};
const globals = globalThis as unknown as { getCurrentPages?: () => { route: string }[] };

const TIERS_WITH_TOKENS = TIERS.map((tier) => ({ ...tier, priceTokens: tier.id === 'quick' ? 10 : 80 }));
const SUPPORT = 'support@example.com';

/** A turn of conversation c_1, paid with tokens. */
function turn(patch: Partial<Turn> = {}): Turn {
  return {
    ...order({ status: 'completed', outputComplete: true, rev: 5, paidAt: Date.UTC(2026, 10, 25, 11, 0), completedAt: Date.UTC(2026, 10, 25, 11, 1), amountFen: 0 }),
    payWith: 'tokens',
    amountTokens: 10,
    conversationId: 'c_1',
    ...patch,
  };
}

const FIRST = turn({ orderId: 'ord_1', outTradeNo: 'T1', prompt: '用三句话介绍长城', output: '## 长城\n\n长城是古代的**防御工程**。' });

let navigateTo: jest.Mock;
let navigateBack: jest.Mock;
let toasts: string[];
let clipboard: string[];
let stream: FakeStreamServer;
/** WeChat's storage for the simulated user (miniprogram-simulate keeps none). */
let storage: Map<string, unknown>;

beforeEach(() => {
  navigateTo = jest.fn();
  navigateBack = jest.fn();
  toasts = [];
  clipboard = [];
  wxApi.navigateTo = navigateTo as unknown as typeof wx.navigateTo;
  wxApi.navigateBack = navigateBack as unknown as typeof wx.navigateBack;
  wxApi.reLaunch = jest.fn() as unknown as typeof wx.reLaunch;
  wxApi.showToast = ((options: WxOptions) => void toasts.push(options.title ?? '')) as unknown as typeof wx.showToast;
  wxApi.setClipboardData = ((options: WxOptions) => {
    clipboard.push(options.data ?? '');
    setTimeout(() => options.success?.({ errMsg: 'setClipboardData:ok' }), 0);
  }) as unknown as typeof wx.setClipboardData;
  globals.getCurrentPages = () => [{ route: 'pages/history/history' }, { route: 'pages/conversation/conversation' }];
  storage = new Map();
  wxApi.setStorageSync = ((key: string, value: unknown) => void storage.set(key, value)) as typeof wx.setStorageSync;
  wxApi.getStorageSync = ((key: string) => (storage.has(key) ? storage.get(key) : '')) as typeof wx.getStorageSync;
  wxApi.removeStorageSync = ((key: string) => void storage.delete(key)) as typeof wx.removeStorageSync;
  forgetTierTitles();
  stream = new FakeStreamServer();
  setChunkedTransport(stream.open);
  fastReveal();
  fastPolling();
});

afterEach(() => {
  setChunkedTransport(undefined);
  normalReveal();
  normalPolling();
  closePages();
  resetCloud();
  Object.assign(wxApi, originals);
  delete globals.getCurrentPages;
});

/** A server holding conversation c_1 (virtual payment); createOrder answers with the scripted turns in order. */
function server(turns: Turn[], asked: Array<Turn | Outcome<{ order: Turn }>> = [], extra: Partial<ConstructorParameters<typeof FakeCloud>[0]> = {}): FakeCloud {
  const conversation: Conversation = { conversationId: 'c_1', title: turns[0]?.prompt ?? '', turns };
  return new FakeCloud({
    listTiers: () => ({ ok: true, tiers: TIERS_WITH_TOKENS, subscribeTemplateId: null, support: { contact: SUPPORT }, packs: [], payMode: 'virtual' }),
    getConversation: ({ conversationId }) => (conversationId === 'c_1' ? { ok: true, conversation } : { ok: false, error: { code: 'NOT_FOUND', message: 'no such conversation' } }),
    createOrder: () => {
      const next = asked.shift();
      if (!next) throw new Error('the page asked more often than the test expected');
      return 'ok' in next ? next : { ok: true, order: next };
    },
    ...extra,
  }).install();
}

async function openConversation(id = 'c_1'): Promise<PageComponent> {
  const page = openPage('pages/conversation/conversation', { conversationId: id });
  await until(() => !page.instance.data.loading, 'the conversation to load');
  return page;
}

async function askFollowUp(page: PageComponent, text: string): Promise<void> {
  input(page, '#follow-up', text);
  await until(() => page.instance.data.canSend === true, 'the send button to be enabled');
  tap(page, '#send');
  await settle();
}

/** The answer of turn `index` as a reader sees it (the text of its rendered Markdown blocks, blocks apart by a space). */
const answerOf = (page: PageComponent, index: number): string =>
  (((page.instance.data.turns as Array<{ blocks: AnswerBlock[] }>)[index]?.blocks ?? []) as AnswerBlock[]).map((block) => nodesText(block.nodes)).join(' ');
const statusOf = (page: PageComponent, index: number) => textOf(page, `#status-${index}`) ?? '';

describe('the conversation page', () => {
  test('stacks the turns oldest first, each answer as Markdown with the AI label beside it, copy and report under it', async () => {
    const second = turn({ orderId: 'ord_2', outTradeNo: 'T2', prompt: '再短一点', output: '长城是**防御工程**。' });
    server([FIRST, second]);
    const page = await openConversation();
    expect(page.querySelectorAll('.turn')).toHaveLength(2);
    expect(textOf(page, '#question-0')).toBe('用三句话介绍长城');
    expect(textOf(page, '#question-1')).toBe('再短一点');
    expect(answerOf(page, 0)).toBe('长城 长城是古代的防御工程。');
    expect(textOf(page, '#ai-label-0')).toBe('AI生成');
    expect(textOf(page, '#ai-label-1')).toBe('AI生成');
    expect(page.querySelector('#copy-1')).toBeDefined();
    expect(page.querySelector('#report-1')).toBeDefined();
    // The follow-up goes with the tier of the last turn, counted against its limit.
    expect(textOf(page, '#follow-up-count')).toBe('快速回答 · 0/20');
  });

  test('opens at its newest turn, as a chat does: the page is scrolled to its end once the turns are on it', async () => {
    const scrolls: Array<{ scrollTop?: number; turns: number }> = [];
    let page: PageComponent | null = null;
    wxApi.pageScrollTo = ((options: { scrollTop?: number }) => void scrolls.push({ scrollTop: options.scrollTop, turns: (page?.instance.data.turns as unknown[] | undefined)?.length ?? 0 })) as unknown as typeof wx.pageScrollTo;
    server([FIRST, turn({ orderId: 'ord_2', outTradeNo: 'T2', prompt: '再短一点', output: '长城是**防御工程**。' })]);
    page = openPage('pages/conversation/conversation', { conversationId: 'c_1' });
    await until(() => scrolls.length > 0, 'the page to scroll');
    expect(scrolls[0]).toEqual({ scrollTop: 1_000_000, turns: 2 });
  });

  test('a follow-up is paid with tokens in the same conversation, shows "writing" at once and streams in live; "completed", copy and report come once it is all on screen', async () => {
    const cloud = server([FIRST], [turn({ orderId: 'ord_2', status: 'paid', rev: 2, outputComplete: false, output: '', completedAt: undefined, prompt: '再短一点', streamUrl: '/stream?orderId=ord_2&ticket=t' })]);
    const page = await openConversation();
    await askFollowUp(page, '再短一点');
    expect(cloud.callsTo('createOrder')).toEqual([{ prompt: '再短一点', tier: 'quick', payWith: 'tokens', conversationId: 'c_1', platform: expect.any(String) }]);
    await until(() => page.querySelectorAll('.turn').length === 2, 'the new turn');
    // Paid with tokens: no payment to confirm, the answer is being written.
    expect(statusOf(page, 1)).toMatch(/^◌?正在生成…（已 \d+ 秒）$/);
    expect(visibleText(page)).not.toContain('正在确认支付');
    expect(textOf(page, '#follow-up')).toBe('');
    expect(page.instance.data.canSend).toBe(false);

    await until(() => stream.connections.length === 1, 'the stream to open');
    expect(stream.last.url).toContain('/stream?orderId=ord_2&ticket=t');
    stream.event(3, { status: 'generating', text: '长城是' });
    await until(() => answerOf(page, 1) === '长城是', 'the first text');
    expect(textOf(page, '#ai-label-1')).toBe('AI生成');
    expect(page.querySelector('#copy-1')).toBeUndefined();
    stream.event(4, { status: 'completed', from: 3, anchor: '长城是', text: '**防御工程**。', outputComplete: true });
    stream.end('terminal');
    await until(() => page.querySelector('#copy-1') !== undefined, 'copy offered');
    expect(answerOf(page, 1)).toBe('长城是防御工程。');
    expect(statusOf(page, 1)).toBe('');
    expect(page.instance.data.canSend).toBe(false);
    input(page, '#follow-up', '为什么？');
    await until(() => page.instance.data.canSend === true, 'the next question may be asked');
  });

  test('while an answer streams in, each piece sends the page its new text only: not the question, the order facts or the question box again', async () => {
    server([FIRST], [turn({ orderId: 'ord_2', status: 'paid', rev: 2, outputComplete: false, output: '', completedAt: undefined, prompt: '再短一点', streamUrl: '/stream?orderId=ord_2&ticket=t' })]);
    const page = await openConversation();
    await askFollowUp(page, '再短一点');
    await until(() => stream.connections.length === 1, 'the stream to open');
    stream.event(3, { status: 'generating', text: '长城是' });
    await until(() => answerOf(page, 1) === '长城是', 'the first text');
    const sent: string[] = [];
    const setData = page.instance.setData.bind(page.instance);
    page.instance.setData = ((data: Record<string, unknown>, callback?: () => void) => {
      sent.push(...Object.keys(data));
      setData(data, callback);
    }) as typeof page.instance.setData;
    stream.event(4, { status: 'generating', from: 3, anchor: '长城是', text: '古代的' });
    await until(() => answerOf(page, 1) === '长城是古代的', 'the second piece');
    stream.event(5, { status: 'generating', from: 6, anchor: '古代的', text: '防御工程' });
    await until(() => answerOf(page, 1) === '长城是古代的防御工程', 'the third piece');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((key) => !/^turns\[1\]\.blocks/.test(key) && key !== 'turns[1].status')).toEqual([]);
  });

  test('shown again (back from another page), the page sends none of the answers it already shows', async () => {
    server([FIRST, turn({ orderId: 'ord_2', outTradeNo: 'T2', prompt: '再短一点', output: '长城是**防御工程**。' })]);
    const page = await openConversation();
    await until(() => answerOf(page, 1) === '长城是防御工程。', 'the answers');
    await settle();
    const sent: string[] = [];
    const setData = page.instance.setData.bind(page.instance);
    page.instance.setData = ((data: Record<string, unknown>, callback?: () => void) => {
      sent.push(...Object.keys(data));
      setData(data, callback);
    }) as typeof page.instance.setData;
    page.triggerPageLifeTime('hide');
    page.triggerPageLifeTime('show');
    await settle();
    expect(sent.filter((key) => key === 'turns' || /^turns\[\d+\](\.blocks)?$/.test(key) || key.includes('.blocks'))).toEqual([]);
    expect(answerOf(page, 0)).toBe('长城 长城是古代的防御工程。');
    expect(answerOf(page, 1)).toBe('长城是防御工程。');
  });

  test('opened without a conversation, the first question starts one, and the follow-ups go to it', async () => {
    const cloud = server([], [turn({ orderId: 'ord_1', conversationId: 'c_new', status: 'paid', rev: 2, outputComplete: false, output: '', prompt: '长城有多长？' }), turn({ orderId: 'ord_2', conversationId: 'c_new', status: 'paid', rev: 2, outputComplete: false, output: '', prompt: '为什么？' })]);
    cloud.handlers.getOrder = ({ orderId }) => ({ ok: true, order: turn({ orderId, conversationId: 'c_new', rev: 9, output: '答' }) });
    setChunkedTransport(null);
    const page = openPage('pages/conversation/conversation', { tier: 'quick' });
    await until(() => !page.instance.data.loading && page.instance.data.countText !== '', 'the question box');
    expect(page.querySelector('#delete')).toBeUndefined();
    expect(cloud.callsTo('getConversation')).toHaveLength(0);
    await askFollowUp(page, '长城有多长？');
    await until(() => page.querySelector('#copy-0') !== undefined, 'the first answer');
    expect(cloud.callsTo('createOrder')[0]).toEqual({ prompt: '长城有多长？', tier: 'quick', payWith: 'tokens', platform: expect.any(String) });
    expect(page.querySelector('#delete')).toBeDefined();
    await askFollowUp(page, '为什么？');
    await until(() => cloud.callsTo('createOrder').length === 2, 'the follow-up');
    expect(cloud.callsTo('createOrder')[1]).toMatchObject({ prompt: '为什么？', conversationId: 'c_new' });
  });

  test('without the stream the page long-polls, and never backs off while the answer is being written', async () => {
    setChunkedTransport(null);
    const pauses = fastPolling();
    // As the server does: the revision moves only when the order does; three calls in a row bring nothing new.
    const outputs = ['', '', '', '长城', '长城', '长城是古代的', '长城是古代的防御工程。'];
    let rev = 2;
    let last = '';
    const cloud = server([FIRST], [turn({ orderId: 'ord_2', status: 'paid', rev, outputComplete: false, output: '', prompt: '再短一点' })], {
      getOrder: (): Outcome<GetOrderResult> => {
        const output = outputs.shift() ?? '长城是古代的防御工程。';
        const done = outputs.length === 0;
        if (output !== last || done) rev += 1;
        last = output;
        return { ok: true, order: turn({ orderId: 'ord_2', status: done ? 'completed' : 'generating', rev, outputComplete: done, output, prompt: '再短一点' }) };
      },
    });
    const page = await openConversation();
    await askFollowUp(page, '再短一点');
    await until(() => page.querySelector('#copy-1') !== undefined, 'the answer completes');
    expect(answerOf(page, 1)).toBe('长城是古代的防御工程。');
    expect(cloud.callsTo('getOrder').length).toBeGreaterThanOrEqual(6);
    // Between calls, never more than the spacing of one second: calls that brought nothing new are no reason to wait longer.
    expect(Math.max(...pauses)).toBeLessThanOrEqual(1_000);
  });

  test('a turn whose answer failed says the tokens went back at once, its order number and whom to contact; the conversation goes on', async () => {
    server(
      [FIRST],
      [
        turn({ orderId: 'ord_2', outTradeNo: 'T2', status: 'generating', rev: 2, outputComplete: false, output: '', prompt: '再短一点', streamUrl: '/stream?orderId=ord_2&ticket=t' }),
        turn({ orderId: 'ord_3', status: 'paid', rev: 2, outputComplete: false, output: '', prompt: '再短一点', streamUrl: '/stream?orderId=ord_3&ticket=t' }),
      ],
    );
    const page = await openConversation();
    await askFollowUp(page, '再短一点');
    await until(() => stream.connections.length === 1, 'the stream');
    stream.event(3, { status: 'refunded', text: '' });
    stream.end('terminal');
    await until(() => statusOf(page, 1) === '已退回 10 代币', 'the tokens returned');
    expect(textOf(page, '#returned-1')).toBe(`10 代币已退回你的余额，可以马上再用。订单号：T2有疑问请联系：${SUPPORT}`);
    expect(textOf(page, '#explain-1')).toBe('这一轮没有完成，对话可以继续。');
    // The conversation goes on: the same question can be asked again.
    await askFollowUp(page, '再短一点');
    await until(() => page.querySelectorAll('.turn').length === 3, 'the next turn');
  });

  test('a turn paid with money and refunded says how much, when WeChat Pay brings it back, and the order number', async () => {
    const refunded = turn({ orderId: 'ord_2', outTradeNo: 'T2', status: 'refunded', rev: 9, payWith: 'purchase', amountTokens: undefined, amountFen: 499, tier: 'expert', output: '', outputComplete: false, prompt: '写长文', refundedAt: Date.now() });
    server([FIRST, refunded]);
    const page = await openConversation();
    await until(() => textOf(page, '#returned-1') !== undefined, 'the refund explained');
    expect(statusOf(page, 1)).toBe('已退款 ¥4.99');
    expect(textOf(page, '#returned-1')).toContain('¥4.99 原路退回你付款的微信支付账户。');
    expect(textOf(page, '#returned-1')).toContain('退回零钱一般 20 分钟内到账，退回银行卡一般 1–3 个工作日');
    expect(textOf(page, '#returned-1')).toContain('订单号：T2');
  });

  test('without enough tokens the question is kept and the home page opens its top-up; back on this page the question is still there', async () => {
    const cloud = server([FIRST], [{ ok: false, error: { code: 'INSUFFICIENT_BALANCE' as never, message: 'not enough tokens', balance: 3, priceTokens: 10 } }]);
    const page = await openConversation();
    await askFollowUp(page, '再短一点');
    await until(() => navigateTo.mock.calls.length === 1, 'the top-up');
    expect(navigateTo.mock.calls[0]?.[0]).toMatchObject({ url: '/pages/index/index?topUp=1' });
    expect(keptQuestion()).toEqual({ prompt: '再短一点', tier: 'quick', conversationId: 'c_1', priceTokens: 10, balance: 3 });
    expect(cloud.callsTo('createOrder')).toHaveLength(1);
    expect(page.instance.data.draft).toBe('再短一点');
    closePages();

    // Opened again later (the app was closed meanwhile): the question is back in the box.
    server([FIRST]);
    const again = await openConversation();
    await until(() => again.instance.data.draft === '再短一点', 'the kept question');
  });

  test('a session the server no longer holds is renewed with wx.login and the question asked once more', async () => {
    const login = jest.fn((options: WxOptions) => setTimeout(() => options.success?.({ code: 'fresh-code', errMsg: 'login:ok' }), 0));
    wxApi.login = login as unknown as typeof wx.login;
    const cloud = server([FIRST], [{ ok: false, error: { code: 'SESSION_EXPIRED' as never, message: 'session expired' } }, turn({ orderId: 'ord_2', status: 'paid', rev: 2, outputComplete: false, output: '', prompt: '再短一点' })]);
    const page = await openConversation();
    await askFollowUp(page, '再短一点');
    await until(() => page.querySelectorAll('.turn').length === 2, 'the new turn');
    const calls = cloud.callsTo('createOrder') as CreateOrderInput[];
    expect(calls).toHaveLength(2);
    expect(calls[0]?.loginCode).toBeUndefined();
    expect(calls[1]).toMatchObject({ prompt: '再短一点', conversationId: 'c_1', payWith: 'tokens', loginCode: 'fresh-code' });
    expect(login).toHaveBeenCalledTimes(1);
  });

  test('a follow-up over the tier’s limit offers, in one tap, the tier that takes it, and keeps the question', async () => {
    const cloud = server([FIRST], [turn({ orderId: 'ord_2', tier: 'expert', status: 'paid', rev: 2, outputComplete: false, output: '' })]);
    const page = await openConversation();
    const long = '请'.repeat(30);
    input(page, '#follow-up', long);
    await until(() => page.querySelector('#switch-tier') !== undefined, 'the suggestion');
    expect(textOf(page, '#limit-message')).toBe('追问太长了：30 字，「快速回答」最多 20 字。');
    expect(textOf(page, '#switch-tier')).toBe('改用「专家长文」（最多 200 字），问题保留');
    expect(page.instance.data.canSend).toBe(false);
    tap(page, '#switch-tier');
    await until(() => page.instance.data.canSend === true, 'sendable with the expert tier');
    expect(textOf(page, '#follow-up-count')).toBe('专家长文 · 30/200');
    expect(page.instance.data.draft).toBe(long);
    tap(page, '#send');
    await until(() => cloud.callsTo('createOrder').length === 1, 'asked');
    expect(cloud.callsTo('createOrder')[0]).toMatchObject({ prompt: long, tier: 'expert' });
  });

  test('an answer restarted on another model says so, on the stream and on the long-poll', async () => {
    server([FIRST], [turn({ orderId: 'ord_2', status: 'generating', rev: 2, outputComplete: false, output: '', prompt: '再短一点', streamUrl: '/stream?orderId=ord_2&ticket=t' })]);
    const page = await openConversation();
    await askFollowUp(page, '再短一点');
    await until(() => stream.connections.length === 1, 'the stream');
    stream.event(3, { text: '第一个模型写的' });
    await until(() => answerOf(page, 1) === '第一个模型写的', 'the first model’s text');
    stream.event(4, { from: 0, text: '' });
    await until(() => textOf(page, '#turn-notice-1') === '正在换一个模型重新回答，之前的内容已清除。', 'the restart said');
    expect(answerOf(page, 1)).toBe('');
    closePages();

    setChunkedTransport(null);
    const outputs = ['第一个模型写的', '第二'];
    server([FIRST, turn({ orderId: 'ord_2', status: 'generating', rev: 2, outputComplete: false, output: '', prompt: '再短一点' })], [], {
      getOrder: () => ({ ok: true, order: turn({ orderId: 'ord_2', status: 'generating', rev: 9 - outputs.length, outputComplete: false, output: outputs.shift() ?? '第二', prompt: '再短一点' }) }),
    });
    const polled = await openConversation();
    await until(() => answerOf(polled, 1) === '第二', 'the second model’s text');
    expect(textOf(polled, '#turn-notice-1')).toBe('正在换一个模型重新回答，之前的内容已清除。');
  });

  test('an answer cut off at the token limit says so once it is complete', async () => {
    server([FIRST, turn({ orderId: 'ord_2', prompt: '写一篇长文', output: '很长的回答……', truncated: true })]);
    const page = await openConversation();
    expect(textOf(page, '#truncated-1')).toBe('回答达到了这个档位的长度上限，在这里截断了。可以追问“请继续”，接着写完。');
    expect(page.querySelector('#truncated-0')).toBeUndefined();
  });

  test('a long question (466 characters) is folded to three lines, with a tap to expand and fold it again', async () => {
    const long = '我想了解长城的历史。'.repeat(46) + '请详细说明。';
    expect([...long]).toHaveLength(466);
    server([turn({ prompt: long }), turn({ orderId: 'ord_2', prompt: '短问题' })]);
    const page = await openConversation();
    expect(page.querySelector('#question-0')?.dom?.className).toContain('folded');
    expect(page.querySelector('#question-1')?.dom?.className).not.toContain('folded');
    expect(page.querySelector('#question-toggle-1')).toBeUndefined();
    expect(textOf(page, '#question-toggle-0')).toBe('展开全文');
    tap(page, '#question-toggle-0');
    await until(() => !(page.querySelector('#question-0')?.dom?.className ?? '').includes('folded'), 'expanded');
    expect(textOf(page, '#question-toggle-0')).toBe('收起');
  });

  test('copy puts readable text and the AI label on the clipboard', async () => {
    server([turn({ output: '## 对比\n\n| 语言 | 年份 |\n|---|---|\n| Python | 1991 |\n\n---\n\n```\nprint(1)\n```' })]);
    const page = await openConversation();
    tap(page, '#copy-0');
    await until(() => clipboard.length === 1, 'copied');
    expect(clipboard[0]).toBe('对比\n\n语言: 年份\nPython: 1991\n\nprint(1)\n\n【AI生成】');
  });

  test('举报/反馈: a reason and a note reach reportAnswer for that answer; the support contact is shown', async () => {
    const cloud = server([FIRST], [], { reportAnswer: () => ({ ok: true, reportId: 'rep_1' }) });
    const page = await openConversation();
    await until(() => page.instance.data.supportContact === SUPPORT, 'the contact');
    tap(page, '#report-0');
    const sheet = () => page.querySelector('#report-sheet-host');
    await until(() => sheet()?.querySelector('#report-sheet') !== undefined, 'the report sheet');
    expect(sheet()?.dom?.textContent).toContain(`也可以直接联系我们：${SUPPORT}`);
    sheet()?.querySelector('#report-submit')?.dispatchEvent('tap');
    await until(() => sheet()?.querySelector('#report-error') !== undefined, 'a reason asked for');
    expect(sheet()?.querySelector('#report-error')?.dom?.textContent).toBe('请先选择一个原因');
    sheet()?.querySelector('#reason-inaccurate')?.dispatchEvent('tap');
    sheet()?.querySelector('#report-note')?.dispatchEvent('input', { detail: { value: '年份不对' } });
    await settle();
    sheet()?.querySelector('#report-submit')?.dispatchEvent('tap');
    await until(() => sheet()?.querySelector('#report-sheet') === undefined, 'the sheet closed');
    expect(cloud.callsTo('reportAnswer')).toEqual([{ orderId: 'ord_1', reason: 'inaccurate', note: '年份不对' }]);
    expect(toasts).toContain('已收到，我们会尽快处理');
  });

  test('deleting asks first; confirmed, the conversation is erased, with the question kept on this phone, and the page goes back', async () => {
    const cloud = server([FIRST], [], { deleteConversation: () => ({ ok: true }) });
    const page = await openConversation();
    wxApi.setStorageSync(TOP_UP_HANDOFF_KEY, { prompt: '再短一点', tier: 'quick', conversationId: 'c_1' });
    const modal = answerModals(false);
    tap(page, '#delete');
    await until(() => modal.mock.calls.length === 1, 'the confirmation');
    expect((modal.mock.calls[0]?.[0] as { content: string }).content).toBe('删除后，这个对话的全部问题和回答将被永久清除，无法恢复。确定删除吗？');
    await settle();
    expect(cloud.callsTo('deleteConversation')).toHaveLength(0);

    answerModals(true);
    tap(page, '#delete');
    await until(() => navigateBack.mock.calls.length === 1, 'back to history');
    expect(cloud.callsTo('deleteConversation')).toEqual([{ conversationId: 'c_1' }]);
    expect(toasts).toContain('对话已删除');
    expect(keptQuestion()).toBeNull();
  });

  test('a conversation that is not (or no longer) the user’s is a page with a way on: home or the conversations', async () => {
    server([FIRST]);
    const page = openPage('pages/conversation/conversation', { conversationId: 'someone_elses' });
    await until(() => page.querySelector('#missing') !== undefined, 'the missing page');
    expect(textOf(page, '#missing-title')).toBe('找不到这个对话');
    expect(page.querySelector('#follow-up')).toBeUndefined();
    tap(page, '#missing-history');
    await until(() => navigateTo.mock.calls.length === 1, 'history');
    expect(navigateTo.mock.calls[0]?.[0]).toMatchObject({ url: '/pages/history/history' });
    tap(page, '#missing-home');
    await settle();
  });

  test('opened from a sheet the user has just paid (paid=<orderId>), that turn says "confirming payment", never "waiting for payment", then the answer flows in', async () => {
    setChunkedTransport(null);
    const bought = turn({ orderId: 'ord_1', status: 'pending_payment', payWith: 'purchase', amountFen: 50, amountTokens: undefined, output: '', outputComplete: false, rev: 1, paidAt: undefined, completedAt: undefined });
    const versions = [bought, { ...bought, status: 'generating' as const, rev: 3, paidAt: Date.now(), output: '长城' }, { ...bought, status: 'completed' as const, rev: 4, paidAt: Date.now(), output: '长城是古代的防御工程。', outputComplete: true }];
    server([bought], [], { getOrder: () => ({ ok: true, order: (versions.length > 1 ? versions.shift() : versions[0]) as Turn }) });
    const page = openPage('pages/conversation/conversation', { conversationId: 'c_1', paid: 'ord_1' });
    await until(() => !page.instance.data.loading, 'the conversation');
    const seen: string[] = [statusOf(page, 0)];
    await until(() => {
      seen.push(statusOf(page, 0));
      return page.querySelector('#copy-0') !== undefined;
    }, 'the answer');
    expect(seen[0]).toMatch(/正在确认支付…$/);
    expect(seen.filter((status) => status.includes('待支付'))).toEqual([]);
    expect(answerOf(page, 0)).toBe('长城是古代的防御工程。');
    expect(textOf(page, '#paid-0')).toBe('¥0.50');
    closePages();

    // Without the mark (opened from history), the same unpaid turn is simply waiting for payment.
    server([bought], [], { getOrder: () => ({ ok: true, order: bought }) });
    const plain = await openConversation();
    expect(statusOf(plain, 0)).toBe('待支付');
  });

  test('under wxpay a follow-up is a purchase of its own, paid on WeChat Pay\'s sheet; a sheet not paid cancels its order and keeps the question', async () => {
    setChunkedTransport(null);
    const pending = turn({ orderId: 'ord_2', outTradeNo: 'T2', status: 'pending_payment', payWith: 'purchase', amountFen: 50, amountTokens: undefined, output: '', outputComplete: false, rev: 1, prompt: '再短一点', paidAt: undefined, completedAt: undefined });
    const cloud = server([{ ...FIRST, payWith: 'purchase', amountFen: 50, amountTokens: undefined }], [], {
      listTiers: () => ({ ok: true, tiers: TIERS_WITH_TOKENS, subscribeTemplateId: null, support: { contact: SUPPORT }, packs: [], payMode: 'wxpay' }),
      createOrder: () => ({ ok: true, order: pending, payment: PAYMENT }),
      cancelOrder: () => ({ ok: true, order: { ...pending, status: 'closed', rev: 2 } }),
      getOrder: () => ({ ok: true, order: { ...pending, status: 'generating', rev: 3, paidAt: Date.now(), output: '长城' } }),
    });
    const sheets: string[] = ['requestPayment:fail cancel', 'requestPayment:ok'];
    const requestPayment = jest.fn((options: WxOptions & { package?: string }) => {
      const answer = sheets.shift() ?? 'requestPayment:ok';
      setTimeout(() => (answer === 'requestPayment:ok' ? options.success?.({ errMsg: answer }) : options.fail?.({ errMsg: answer })), 0);
    });
    wxApi.requestPayment = requestPayment as unknown as typeof wx.requestPayment;
    const page = await openConversation();
    await until(() => textOf(page, '#send') === '发送 · ¥0.50', 'the price of a follow-up');
    await askFollowUp(page, '再短一点');
    await until(() => textOf(page, '#notice') === '你取消了支付，没有扣款。问题还在输入框里。', 'the cancelled sheet explained');
    expect(cloud.callsTo('createOrder')).toEqual([{ prompt: '再短一点', tier: 'quick', conversationId: 'c_1', platform: expect.any(String) }]);
    expect(cloud.callsTo('cancelOrder')).toEqual([{ orderId: 'ord_2' }]);
    expect(page.instance.data.draft).toBe('再短一点');
    expect(page.querySelectorAll('.turn')).toHaveLength(1);

    tap(page, '#send');
    await until(() => page.querySelectorAll('.turn').length === 2, 'the paid follow-up');
    expect(requestPayment).toHaveBeenCalledTimes(2);
    expect(statusOf(page, 1)).toMatch(/正在确认支付…$|正在生成/);
    await until(() => answerOf(page, 1) === '长城', 'its answer');
    expect(cloud.callsTo('cancelOrder')).toHaveLength(1);
  });

  test('speaks English on an English phone', async () => {
    wxApi.getSystemInfoSync = (() => ({ ...originals.getSystemInfoSync(), language: 'en' })) as typeof wx.getSystemInfoSync;
    server([FIRST, turn({ orderId: 'ord_2', outTradeNo: 'T2', status: 'refunded', output: '', outputComplete: false, prompt: 'shorter' })]);
    const page = await openConversation();
    expect(textOf(page, '#ai-label-0')).toBe('AI-generated');
    await until(() => (textOf(page, '#returned-1') ?? '').includes(SUPPORT), 'the contact');
    expect(statusOf(page, 1)).toBe('10 tokens returned');
    expect(textOf(page, '#returned-1')).toBe(`10 tokens went back to your balance; you can use them right away.Order number: T2Questions? Contact: ${SUPPORT}`);
    expect(textOf(page, '#delete')).toBe('Delete conversation');
    expect(textOf(page, '#send')).toBe('Send · 10 tokens');
  });
});
