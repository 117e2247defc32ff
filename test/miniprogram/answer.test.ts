/** @jest-environment jsdom */
import { answerNodes, answerText, closePages, elementNames, fastPolling, fastReveal, FakeCloud, normalPolling, normalReveal, openPage, order, resetCloud, settle, tap, textOf, TIERS, until, wxGlobal, type PageComponent } from './harness';
import { readDraft } from '../../miniprogram/services/draft';
import { forgetTierTitles } from '../../miniprogram/services/tierNames';
import type { ClientOrder } from '../../miniprogram/services/types';

type WxOptions = { success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void; url?: string; delta?: number; data?: string };
type PrivacyResolve = (decision: { event: string; buttonId?: string }) => void;

const wxApi = wxGlobal();
const globals = globalThis as unknown as { getCurrentPages?: () => { route: string }[] };

/**
 * The base library's privacy check, as documented for wx.onNeedPrivacyAuthorization: a protected API
 * called before the user agreed calls the app's listener with `resolve` and waits; `agree` (with the
 * id of an agree button) lets it run, `disagree` makes it fail with "privacy permission is not authorized".
 */
let privacyListener: ((resolve: PrivacyResolve, info: { referrer: string }) => void) | null = null;
let agreed = false;
const decisions: Array<{ event: string; buttonId?: string }> = [];
wxApi.onNeedPrivacyAuthorization = ((listener: typeof privacyListener) => {
  privacyListener = listener;
}) as unknown as typeof wx.onNeedPrivacyAuthorization;

let clipboard: string[];
function protectedClipboard(): void {
  wxApi.setClipboardData = ((options: WxOptions) => {
    const write = () => {
      clipboard.push(options.data ?? '');
      options.success?.({ errMsg: 'setClipboardData:ok' });
    };
    if (agreed) return void setTimeout(write, 0);
    if (!privacyListener) return void setTimeout(() => options.fail?.({ errMsg: 'setClipboardData:fail privacy permission is not authorized' }), 0);
    privacyListener((decision) => {
      decisions.push(decision);
      if (decision.event === 'exposureAuthorization') return;
      if (decision.event === 'agree' && decision.buttonId === 'agree-btn') {
        agreed = true;
        setTimeout(write, 0);
      } else {
        setTimeout(() => options.fail?.({ errMsg: 'setClipboardData:fail privacy permission is not authorized' }), 0);
      }
    }, { referrer: 'setClipboardData' });
  }) as unknown as typeof wx.setClipboardData;
}

const originals = { reLaunch: wxApi.reLaunch, navigateBack: wxApi.navigateBack, setClipboardData: wxApi.setClipboardData, openPrivacyContract: wxApi.openPrivacyContract };
let reLaunch: jest.Mock;
let navigateBack: jest.Mock;

function serve(next: ClientOrder): FakeCloud {
  return new FakeCloud({
    listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null }),
    getOrder: () => ({ ok: true, order: next }),
  }).install();
}

beforeEach(() => {
  clipboard = [];
  reLaunch = jest.fn();
  navigateBack = jest.fn();
  wxApi.reLaunch = reLaunch as unknown as typeof wx.reLaunch;
  wxApi.navigateBack = navigateBack as unknown as typeof wx.navigateBack;
  protectedClipboard();
  fastReveal();
  fastPolling();
});

afterEach(() => {
  normalReveal();
  normalPolling();
  closePages();
  resetCloud();
  Object.assign(wxApi, originals);
  delete globals.getCurrentPages;
});

const COMPLETE = [
  '# 长城简介',
  '',
  '长城是**中国古代**的防御工程，全长约 *两万公里*。',
  '',
  '- 始建于春秋战国',
  '- 明长城保存最完整',
  '',
  '| 朝代 | 长度 |',
  '|---|---|',
  '| 明 | 8851 km |',
  '',
  '```',
  'const wall = "great";',
  '```',
  '',
  '更多资料见 [维基百科](https://zh.wikipedia.org/wiki/长城) & <b>not html</b>。',
].join('\n');

describe('the answer on the order page', () => {
  test('a half-written answer renders as Markdown elements without stray marks; blocks already shown keep their nodes; the whole answer renders every element', async () => {
    const paidAt = Date.now();
    const cloud = new FakeCloud({ listTiers: () => ({ ok: true, tiers: TIERS, subscribeTemplateId: null }) }).install();
    const answers = [
      order({ status: 'generating', rev: 2, paidAt, output: '' }),
      order({ status: 'generating', rev: 3, paidAt, output: '# 长城简介\n\n长城是**中国古' }),
      order({ status: 'generating', rev: 4, paidAt, output: '# 长城简介\n\n长城是**中国古代**的防御工程，全长约 *两万公里*。\n\n- 始建于春秋战国\n- 明长' }),
      order({ status: 'completed', rev: 5, paidAt, completedAt: Date.now(), outputComplete: true, output: COMPLETE }),
    ];
    const held: Array<() => void> = [];
    cloud.handlers.getOrder = () =>
      new Promise((resolve) => {
        held.push(() => resolve({ ok: true, order: answers.shift() ?? order() }));
      });
    const page = openPage('pages/order/order', { orderId: 'ord_1', paid: '1' });
    // Answers the long-poll the page is waiting on.
    const next = async () => {
      await until(() => held.length > 0, 'the page to call getOrder');
      held.shift()?.();
      await settle();
    };
    await next();
    await next();
    await until(() => answerText(page) === '长城简介\n长城是中国古', 'the half-written bold closed');
    const [heading, paragraph] = answerNodes(page);
    expect(elementNames(heading ?? [])).toEqual(['h1']);
    // `**中国古` is still being written: shown bold already, without its asterisks.
    expect(elementNames(paragraph ?? [])).toEqual(['p', 'strong']);
    const headingShown = page.instance.data.blocks[0];

    await next();
    await until(() => answerText(page).endsWith('明长'), 'the list growing');
    expect(answerText(page)).not.toMatch(/[*#`]/);
    expect(elementNames(answerNodes(page)[2] ?? [])).toEqual(['ul', 'li', 'li']);
    // The heading block was not sent again: the very same object is rendered.
    expect(page.instance.data.blocks[0]).toBe(headingShown);

    await next();
    await until(() => page.instance.data.phase === 'completed' && answerText(page).endsWith('。'), 'the whole answer');
    const names = answerNodes(page).flatMap((nodes) => elementNames(nodes));
    expect(names).toEqual(expect.arrayContaining(['h1', 'p', 'strong', 'em', 'ul', 'li', 'table', 'thead', 'th', 'td', 'pre', 'code']));
    const text = answerText(page);
    expect(text).toContain('const wall = "great";');
    // A link is shown with its address and never opened; raw HTML is shown as text, not markup.
    expect(text).toContain('维基百科 (https://zh.wikipedia.org/wiki/长城)');
    expect(text).toContain('<b>not html</b>');
    expect(names).not.toContain('a');
    expect(names).not.toContain('b');
  });

  test('the question is shown as stored, with removed personal data marked', async () => {
    serve(order({ status: 'completed', rev: 5, outputComplete: true, output: 'ok', prompt: '我的手机是 [PHONE]，邮箱 [EMAIL]，怎么办？' }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#question') !== undefined, 'the question');
    expect(textOf(page, '#question')).toContain('我的手机是 手机号已隐去，邮箱 邮箱已隐去，怎么办？');
    expect(page.querySelectorAll('#question .redacted').map((part) => part.dom?.textContent)).toEqual(['手机号已隐去', '邮箱已隐去']);
    expect(textOf(page, '#redacted-note')).toBe('为保护隐私，个人信息在发送前已隐去。');
    expect(textOf(page, '#meta')).toContain('订单号：T2026');
  });

  test('copying asks for privacy consent first; refusing copies nothing and says so; agreeing copies the whole answer as readable text with the AI label', async () => {
    serve(order({ status: 'completed', rev: 5, outputComplete: true, output: COMPLETE }));
    const openPrivacyContract = jest.fn();
    wxApi.openPrivacyContract = openPrivacyContract as unknown as typeof wx.openPrivacyContract;
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#copy') !== undefined, 'the copy button');
    const sheet = () => page.querySelector('#privacy');

    tap(page, '#copy');
    await until(() => sheet()?.querySelector('#privacy-sheet') !== undefined, 'the consent sheet');
    expect(clipboard).toEqual([]);
    expect(decisions).toEqual([{ event: 'exposureAuthorization' }]);
    expect(sheet()?.dom?.textContent).toContain('在使用复制前，请阅读并同意《用户隐私保护指引》');
    sheet()?.querySelector('#privacy-guide')?.dispatchEvent('tap');
    await settle();
    expect(openPrivacyContract).toHaveBeenCalledTimes(1);

    sheet()?.querySelector('#disagree-btn')?.dispatchEvent('tap');
    await until(() => page.querySelector('#notice') !== undefined, 'the refusal explained');
    expect(textOf(page, '#notice')).toBe('你没有同意隐私保护指引，所以没有复制。需要时可以再点“复制回答”。');
    expect(clipboard).toEqual([]);
    expect(sheet()?.querySelector('#privacy-sheet')).toBeUndefined();

    tap(page, '#copy');
    await until(() => sheet()?.querySelector('#privacy-sheet') !== undefined, 'the consent sheet again');
    // The notice went as the user started again.
    expect(page.querySelector('#notice')).toBeUndefined();
    sheet()?.querySelector('#agree-btn')?.dispatchEvent('agreeprivacyauthorization');
    await until(() => clipboard.length === 1, 'copied');
    // Readable text, not Markdown: no #, **, pipes, rules or fences; a table as "a: b" lines; then the AI label.
    expect(clipboard).toEqual([
      [
        '长城简介',
        '',
        '长城是中国古代的防御工程，全长约 两万公里。',
        '',
        '• 始建于春秋战国',
        '• 明长城保存最完整',
        '',
        '朝代: 长度',
        '明: 8851 km',
        '',
        'const wall = "great";',
        '',
        '更多资料见 维基百科 (https://zh.wikipedia.org/wiki/长城) & <b>not html</b>。',
        '',
        '【AI生成】',
      ].join('\n'),
    ]);
    expect(decisions.filter((decision) => decision.event !== 'exposureAuthorization')).toEqual([{ event: 'disagree' }, { event: 'agree', buttonId: 'agree-btn' }]);
    expect(page.querySelector('#notice')).toBeUndefined();
  });

  test('after a refund, "ask again" goes home with the question filled in', async () => {
    serve(order({ status: 'refunded', rev: 5, tier: 'expert', amountFen: 499, refundedAt: Date.now(), prompt: '写一首关于茶的诗' }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#ask-again') !== undefined, 'ask again offered');
    tap(page, '#ask-again');
    await settle();
    expect(reLaunch.mock.calls.map(([options]) => (options as WxOptions).url)).toEqual(['/pages/index/index']);
    expect(readDraft()).toEqual({ prompt: '写一首关于茶的诗', tier: 'expert' });
  });

  test('opened first (a reload, a subscribe message), the page names the tier and offers a way home', async () => {
    globals.getCurrentPages = () => [{ route: 'pages/order/order' }];
    forgetTierTitles();
    const cloud = serve(order({ status: 'completed', rev: 5, outputComplete: true, output: 'done' }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => textOf(page, '#tier-title') === '快速回答', 'the tier named');
    expect(cloud.callsTo('listTiers')).toHaveLength(1);
    tap(page, '#home');
    await settle();
    expect(reLaunch).toHaveBeenCalledTimes(1);
  });

  test('"new question" goes back to the home page below instead of stacking another one', async () => {
    globals.getCurrentPages = () => [{ route: 'pages/index/index' }, { route: 'pages/order/order' }];
    serve(order({ status: 'completed', rev: 5, outputComplete: true, output: 'done' }));
    const page = openPage('pages/order/order', { orderId: 'ord_1' });
    await until(() => page.querySelector('#ask-another') !== undefined, 'the button');
    expect(page.querySelector('#home')).toBeUndefined();
    expect(textOf(page, '#ask-another')).toBe('问新问题');
    tap(page, '#ask-another');
    await settle();
    expect(navigateBack.mock.calls.map(([options]) => (options as WxOptions).delta)).toEqual([1]);
    expect(reLaunch).not.toHaveBeenCalled();
  });
});

export type { PageComponent };
