/**
 * The conversation and order pages in real Chromium, at the phone's 375 px, with answers the local
 * model never writes (a wide table, an answer cut off at the token limit, a 466-character question)
 * and the conversation functions: the preview runs against the real runtime, and this test answers
 * those function calls itself (Playwright's page.route on `/api/functions/<name>`, in the runtime's
 * own `{ result }` shape), so the pages' layout and flows are checked in the browser whatever the
 * server holds. The same flows against the real functions: test/conversation-e2e.test.ts.
 */
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { readableText } from '../miniprogram/services/answerCopy';
import { LocalRuntime } from './support/runtime';
import { callWx, clickWhenStill, copiedTexts, CONVERSATION, currentPages, HOME, inPage, launchChromium, openPreview, ORDER, setStorage, shot, STEP_TIMEOUT_MS, until, type BrowserElement, type BrowserGlobals } from './support/preview';

let runtime: LocalRuntime;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  runtime = await LocalRuntime.start({ RATE_LIMIT_PER_MINUTE: '100' });
  browser = await launchChromium();
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

const TABLE_ANSWER = [
  '## 常见编程语言',
  '',
  '| 语言 | 诞生年份 | 类型系统 | 主要用途 | 设计者 |',
  '| --- | --- | --- | --- | --- |',
  '| Python | 1991 | 动态 | 数据分析、机器学习和自动化脚本 | Guido van Rossum |',
  '| TypeScript | 2012 | 静态 | 大型前端与 Node.js 应用 | Anders Hejlsberg |',
  '',
  '---',
  '',
  '以上为简要对比。',
].join('\n');

const LONG_QUESTION = '我想了解几种编程语言的区别。'.repeat(33) + '谢谢你的回答';

function turn(patch: Record<string, unknown>): Record<string, unknown> {
  const now = Date.now();
  return {
    orderId: 'ord_1',
    outTradeNo: 'AI2026120800000000000000001',
    status: 'completed',
    tier: 'quick',
    amountFen: 0,
    prompt: '介绍一下编程语言',
    output: '',
    outputComplete: true,
    rev: 5,
    createdAt: now - 60_000,
    expiresAt: now + 60_000,
    paidAt: now - 60_000,
    completedAt: now - 50_000,
    subscribed: false,
    payWith: 'tokens',
    amountTokens: 10,
    conversationId: 'c_1',
    ...patch,
  };
}

/** Answers the page's calls to these functions as the contract says they answer; others go to the runtime. */
async function script(page: Page, answers: Record<string, (data: Record<string, unknown>) => unknown>): Promise<Array<{ name: string; data: Record<string, unknown> }>> {
  const calls: Array<{ name: string; data: Record<string, unknown> }> = [];
  await page.route('**/api/functions/*', async (route: Route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
    const answer = answers[name];
    if (!answer) return route.fallback();
    const data = ((route.request().postDataJSON() as { data?: Record<string, unknown> } | null)?.data ?? {}) as Record<string, unknown>;
    calls.push({ name, data });
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ result: answer(data) }) });
  });
  return calls;
}

/** Whether the element's text sits on one line (a range over it has one box). */
function oneLine(element: BrowserElement): boolean {
  const range = (globalThis as unknown as BrowserGlobals).document.createRange();
  range.selectNodeContents(element);
  return range.getClientRects().length === 1;
}

const TIERS_ANSWER = () => ({
  ok: true,
  tiers: [
    { id: 'quick', title: { zh: '快速回答', en: 'Quick answer' }, summary: { zh: '', en: '' }, priceFen: 50, priceTokens: 10, description: '', modelFamily: 'Qwen', promptLimit: 500, longRunning: false },
    { id: 'expert', title: { zh: '专家长文', en: 'Expert long-form' }, summary: { zh: '', en: '' }, priceFen: 499, priceTokens: 80, description: '', modelFamily: 'DeepSeek', promptLimit: 2000, longRunning: true },
  ],
  subscribeTemplateId: null,
  support: { contact: 'support@example.com' },
  packs: [{ packId: 'p10', tokens: 10, priceFen: 100 }],
  payMode: 'virtual',
});

describe('answers in Chromium at 375 px', () => {
  test('a finished table scrolls sideways instead of squeezing its words; an answer cut off at the token limit says so (order page)', async () => {
    const page = await openPreview(browser, runtime, contexts, `e2e-table-${process.pid}`);
    await script(page, { listTiers: TIERS_ANSWER, getOrder: () => ({ ok: true, order: turn({ orderId: 'ord_table', output: TABLE_ANSWER, truncated: true }) }) });
    await callWx(page, 'navigateTo', { url: '/pages/order/order?orderId=ord_table' });
    const scroller = page.locator(`[data-mp-page="${ORDER}"]:not([hidden]) wx-scroll-view`);
    await scroller.waitFor({ timeout: STEP_TIMEOUT_MS });
    const layout = await scroller.evaluate((node) => {
      const element = node as unknown as BrowserElement;
      const cells = Array.from(element.querySelectorAll('td, th'));
      const python = cells.find((cell) => cell.textContent === 'Python') as BrowserElement;
      const range = (globalThis as unknown as BrowserGlobals).document.createRange();
      range.selectNodeContents(python);
      return { scrollWidth: element.scrollWidth, clientWidth: element.clientWidth, pythonLines: range.getClientRects().length, cells: cells.length };
    });
    expect(layout.cells).toBe(15);
    // Wider than the phone: it scrolls sideways, and "Python" stays whole on one line.
    expect(layout.scrollWidth).toBeGreaterThan(layout.clientWidth);
    expect(layout.pythonLines).toBe(1);
    expect(await page.locator(inPage(ORDER, 'truncated')).textContent()).toBe('回答达到了这个档位的长度上限，在这里截断了。');
    expect(await page.locator(inPage(ORDER, 'output')).textContent()).not.toMatch(/\||---/);
    await shot(page, 'layout-1-table');
    await scroller.evaluate((node) => void ((node as unknown as { scrollLeft: number }).scrollLeft = 400));
    await shot(page, 'layout-2-table-scrolled');
  });

  for (const locale of ['zh', 'en'] as const) {
    test(`a conversation (${locale}): turns with the AI label, a folded long question, a follow-up written live, copy with the label, 举报/反馈, delete`, async () => {
      const t = locale === 'zh'
        ? { label: 'AI生成', copyLabel: '【AI生成】', writing: /^◌?正在生成…/, confirming: '正在确认支付', expand: '展开全文', truncated: '回答达到了这个档位的长度上限，在这里截断了。可以追问“请继续”，接着写完。', thanks: '已收到，我们会尽快处理', deleted: '对话已删除', agree: '#agree-btn' }
        : { label: 'AI-generated', copyLabel: '[AI-generated]', writing: /^◌?Writing…/, confirming: 'Confirming payment', expand: 'Show all', truncated: 'The answer reached this tier’s length limit and was cut off here. Ask “please continue” to get the rest.', thanks: 'Received; we will look into it', deleted: 'Conversation deleted', agree: '#agree-btn' };
      const page = await openPreview(browser, runtime, contexts, `e2e-conv-layout-${locale}-${process.pid}`);
      await setStorage(page, 'locale', locale);
      const turns = [
        turn({ orderId: 'ord_1', prompt: LONG_QUESTION, output: TABLE_ANSWER }),
        turn({ orderId: 'ord_2', outTradeNo: 'AI2026120800000000000000002', prompt: '再写长一点', output: '很长的回答……', truncated: true }),
      ];
      let reads = 0;
      const followUp = '用一句话总结';
      const calls = await script(page, {
        listTiers: TIERS_ANSWER,
        getConversation: () => ({ ok: true, conversation: { conversationId: 'c_1', title: '我想了解几种编程语言的区别。', turns } }),
        createOrder: (data) => ({ ok: true, order: turn({ orderId: 'ord_3', status: 'paid', outputComplete: false, output: '', prompt: data.prompt, completedAt: undefined }) }),
        getOrder: () => {
          reads += 1;
          const texts = ['', 'Python 适合', 'Python 适合数据分析，', 'Python 适合数据分析，TypeScript 适合**大型应用**。'];
          const output = texts[Math.min(reads, texts.length - 1)] as string;
          const done = reads >= texts.length - 1;
          return { ok: true, order: turn({ orderId: 'ord_3', status: done ? 'completed' : 'generating', outputComplete: done, output, rev: 5 + reads, prompt: followUp }) };
        },
        reportAnswer: () => ({ ok: true, reportId: 'rep_1' }),
        deleteConversation: () => ({ ok: true }),
      });
      await callWx(page, 'navigateTo', { url: '/pages/conversation/conversation?conversationId=c_1' });
      await page.locator(inPage(CONVERSATION, 'turn-1')).waitFor({ timeout: STEP_TIMEOUT_MS });

      // It opens at its newest turn, as a chat does: once the page is at rest, it is at its end.
      const scrolled = page.locator('.mp-page:not([hidden])');
      const position = () => scrolled.evaluate((node) => {
        const element = node as unknown as { scrollTop: number; scrollHeight: number; clientHeight: number };
        return { top: element.scrollTop, bottom: element.scrollHeight - element.clientHeight };
      });
      let previous = -1;
      const rest = await until('the page at rest at its end', async () => {
        const before = previous;
        await new Promise((resolve) => setTimeout(resolve, 120));
        const now = await position();
        previous = now.top;
        return { ...now, before };
      }, (at) => at.top === at.before && at.top > 0 && Math.abs(at.bottom - at.top) <= 1);
      expect(rest.top).toBeGreaterThan(0);

      // Each answer carries the label beside it, inside its card.
      for (const index of [0, 1]) {
        const label = page.locator(inPage(CONVERSATION, `ai-label-${index}`));
        expect(await label.textContent()).toBe(t.label);
        const card = await page.locator(inPage(CONVERSATION, `answer-${index}`)).boundingBox();
        const box = await label.boundingBox();
        expect(card && box && box.y >= card.y && box.y + box.height <= card.y + card.height).toBe(true);
      }
      // Scrolled back to the top: the 466-character question takes three lines, so its answer
      // starts on the first screen.
      await scrolled.evaluate((node) => void ((node as unknown as { scrollTop: number }).scrollTop = 0));
      const question = page.locator(inPage(CONVERSATION, 'question-0'));
      const lines = await question.evaluate((node) => {
        const style = (globalThis as unknown as BrowserGlobals).getComputedStyle(node);
        return (node as unknown as BrowserElement).getBoundingClientRect().height / parseFloat(style.lineHeight);
      });
      expect(Math.round(lines)).toBe(3);
      expect(await page.locator(inPage(CONVERSATION, 'question-toggle-0')).textContent()).toBe(t.expand);
      const window = await page.locator('.mp-page:not([hidden])').boundingBox();
      const firstAnswer = await page.locator(inPage(CONVERSATION, 'answer-0')).boundingBox();
      expect(firstAnswer && window && firstAnswer.y < window.y + window.height / 2).toBe(true);
      // The table scrolls sideways; its short cells stay whole.
      const table = page.locator(`[data-mp-page="${CONVERSATION}"]:not([hidden]) #output-0 wx-scroll-view`);
      expect(await table.evaluate((node) => (node as unknown as BrowserElement).scrollWidth > (node as unknown as BrowserElement).clientWidth)).toBe(true);
      expect(await table.locator('td', { hasText: 'TypeScript' }).evaluate(oneLine)).toBe(true);
      expect(await page.locator(inPage(CONVERSATION, 'truncated-1')).textContent()).toBe(t.truncated);
      await shot(page, `conversation-${locale}-1-turns`);

      // A follow-up, paid with tokens: "writing" at once, the text flowing in, never "confirming payment".
      await page.locator(inPage(CONVERSATION, 'follow-up')).locator('textarea').pressSequentially(followUp);
      await page.locator(inPage(CONVERSATION, 'send')).click();
      const status = page.locator(inPage(CONVERSATION, 'status-2'));
      await until('the new turn is being written', () => status.textContent().catch(() => ''), (text) => t.writing.test(text ?? ''));
      expect(await page.locator(`[data-mp-page="${CONVERSATION}"]`).textContent()).not.toContain(t.confirming);
      expect(calls.find((call) => call.name === 'createOrder')?.data).toMatchObject({ prompt: followUp, tier: 'quick', payWith: 'tokens', conversationId: 'c_1' });
      const copy = page.locator(inPage(CONVERSATION, 'copy-2'));
      await copy.waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await page.locator(inPage(CONVERSATION, 'output-2')).textContent()).toBe('Python 适合数据分析，TypeScript 适合大型应用。');
      expect(await page.locator(inPage(CONVERSATION, 'ai-label-2')).textContent()).toBe(t.label);
      await shot(page, `conversation-${locale}-2-follow-up`);

      // Copy: the privacy consent first, then readable text with the label.
      await clickWhenStill(page.locator(inPage(CONVERSATION, 'copy-0')));
      const privacy = page.locator(inPage(CONVERSATION, 'privacy-sheet'));
      await privacy.waitFor({ timeout: STEP_TIMEOUT_MS });
      await privacy.locator(t.agree).click();
      await until('copied', () => copiedTexts(page), (texts) => texts.length === 1);
      expect(await copiedTexts(page)).toEqual([`${readableText(TABLE_ANSWER)}\n\n${t.copyLabel}`]);

      // 举报/反馈 on the first answer: a reason, a note, and the support contact beside it.
      await clickWhenStill(page.locator(inPage(CONVERSATION, 'report-0')));
      const sheet = page.locator(inPage(CONVERSATION, 'report-sheet'));
      await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await sheet.textContent()).toContain('support@example.com');
      await sheet.locator('#reason-inaccurate').click();
      await sheet.locator('#report-note textarea').pressSequentially('TypeScript 的年份');
      await shot(page, `conversation-${locale}-3-report`);
      await sheet.locator('#report-submit').click();
      await sheet.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
      expect(calls.filter((call) => call.name === 'reportAnswer').map((call) => call.data)).toEqual([{ orderId: 'ord_1', reason: 'inaccurate', note: 'TypeScript 的年份' }]);
      await until('the thanks', () => page.locator('#phone .mp-toast').textContent().catch(() => ''), (text) => (text ?? '').includes(t.thanks));

      // Delete: asked first, then gone, and the page goes back.
      await page.locator(inPage(CONVERSATION, 'delete')).click();
      const modal = page.locator('#phone .mp-modal');
      await modal.waitFor({ timeout: STEP_TIMEOUT_MS });
      await shot(page, `conversation-${locale}-4-delete`);
      await modal.locator('[data-action="confirm"]').click();
      await until('back on the home page', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === HOME);
      expect(calls.filter((call) => call.name === 'deleteConversation').map((call) => call.data)).toEqual([{ conversationId: 'c_1' }]);
    });
  }
});
