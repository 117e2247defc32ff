/**
 * The browser preview, end to end, in real Chromium: the mini program's own pages (rendered by
 * miniprogram-simulate in the preview at `/`) against the real local runtime. Screenshots of every
 * step go to test/artifacts/preview/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TOKEN_PRICE_FEN } from '../core/config/packs';
import type { LocalXpaySecrets } from '../local/wechat/settings';
import { readableText } from '../miniprogram/services/answerCopy';
import { LocalRuntime } from './support/runtime';
import {
  callWx,
  CONVERSATION,
  copiedTexts,
  currentPages,
  expectInFirstScreen,
  HISTORY,
  HOME,
  inPage,
  launchChromium,
  openPreview as openPreviewIn,
  ORDER,
  orderIdFrom,
  pageClass,
  renderedText,
  shot,
  STEP_TIMEOUT_MS,
  until,
  type BrowserGlobals,
  type PreviewOptions,
} from './support/preview';
import { XpayTestClient } from './support/xpayEmulator';

let runtime: LocalRuntime;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // PAY_MODE=simulator: answers paid one by one with wx.requestPayment (cloud pay, emulated). The
  // emulated WeChat side of virtual payment (sheets, login) runs in every runtime whatever the mode.
  runtime = await LocalRuntime.start({ RATE_LIMIT_PER_MINUTE: '100', PAY_MODE: 'simulator' });
  browser = await launchChromium();
});

// A test's pages close with it: left open, they would go on polling the runtime and animating
// their spinners through every later test.
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

/** Opens the preview as `openid`, on this file's runtime unless `on` names another. */
function openPreview(openid: string, options: PreviewOptions & { on?: LocalRuntime } = {}): Promise<Page> {
  return openPreviewIn(browser, options.on ?? runtime, contexts, openid, options);
}

/** Chooses a tier, writes the prompt and taps pay on the home page. */
async function orderFromHome(page: Page, tier: string, prompt: string, screenshotPrefix: string): Promise<void> {
  const tierCard = page.locator(inPage(HOME, `tier-${tier}`));
  await tierCard.waitFor({ timeout: STEP_TIMEOUT_MS });
  await shot(page, `${screenshotPrefix}-1-home`);
  await tierCard.click();
  await until('the tier is selected', () => tierCard.getAttribute('class'), (value) => (value ?? '').includes(pageClass(HOME, 'tier-selected')));
  await page.locator(inPage(HOME, 'prompt')).locator('textarea').pressSequentially(prompt);
  await until('the prompt counter follows the typing', () => page.locator(inPage(HOME, 'prompt-count')).textContent(), (value) => (value ?? '').startsWith(`${[...prompt].length}/`));
  await shot(page, `${screenshotPrefix}-2-prompt`);
  const pay = page.locator(inPage(HOME, 'pay'));
  await until('the pay button is enabled', () => pay.getAttribute('disabled'), (value) => value === null);
  await pay.click();
}

/** The simulated WeChat Pay sheet: checks what it shows, then pays. */
async function payInSheet(page: Page, amount: string, screenshotName: string): Promise<void> {
  const sheet = page.locator('.mp-pay-sheet');
  await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
  expect(await sheet.locator('.mp-pay-amount').textContent()).toBe(amount);
  await shot(page, screenshotName);
  await sheet.locator('[data-action="success"]').click();
  await sheet.waitFor({ state: 'detached' });
}

describe('the browser preview of the mini program', () => {
  test('a user chooses a tier, pays, reads the Markdown answer as it is written, copies it after the privacy consent, and finds it in history', async () => {
    // Slow enough that the page shows the answer growing between long-polls (about 6 s in all), and
    // long enough (272 characters) that its first content-checked piece (120) is shown while the
    // rest is still being written.
    await runtime.faults({ llm: { tokensPerSecond: 25, answerTokens: 150 } });
    const user = `e2e-paid-${process.pid}`;
    const page = await openPreview(user);
    await orderFromHome(page, 'expert', '用三句话介绍一下长城', 'paid');

    // The expert tier runs long: the page offers the result message before paying, named by its title.
    const consent = page.locator('.mp-subscribe-sheet');
    await consent.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await consent.textContent()).toContain('AI 回答结果通知');
    expect(await consent.textContent()).not.toContain('local-result-template');
    await shot(page, 'paid-3-subscribe');
    await consent.locator('[data-action="accept"]').click();

    await payInSheet(page, '¥4.99', 'paid-4-pay-sheet');

    // The order page: the question as stored, then the answer streams in as Markdown.
    expect(await page.locator(inPage(ORDER, 'question')).textContent()).toContain('用三句话介绍一下长城');
    const output = page.locator(inPage(ORDER, 'output'));
    const status = page.locator(inPage(ORDER, 'status'));
    await page.waitForFunction(
      ([outputSelector, statusSelector]) => {
        const { document } = globalThis as unknown as BrowserGlobals;
        const text = document.querySelector(outputSelector)?.textContent ?? '';
        const statusClass = document.querySelector(statusSelector)?.className ?? '';
        return text.length > 0 && statusClass.includes('--status-writing');
      },
      [inPage(ORDER, 'output'), inPage(ORDER, 'status')] as const,
      { timeout: STEP_TIMEOUT_MS, polling: 50 },
    );
    const partial = (await output.textContent()) ?? '';
    await shot(page, 'paid-5-streaming');
    await until('the order completes', () => status.getAttribute('class'), (value) => (value ?? '').includes(pageClass(ORDER, 'status-completed')), 30_000);
    const orderId = orderIdFrom(page);
    const stored = await runtime.call('getOrder', { orderId }, user);
    expect(stored.order.status).toBe('completed');
    expect(stored.order.prompt).toBe('用三句话介绍一下长城');
    // Every block of the stored answer ends up on screen, rendered (compared without white space).
    const expected = renderedText(stored.order.output as string);
    const answer = await until('the whole answer is shown', async () => ((await output.textContent()) ?? '').replace(/\s+/g, ''), (text) => text === expected);
    expect(answer.startsWith(partial.replace(/\s+/g, ''))).toBe(true);
    expect(answer.length).toBeGreaterThan(partial.replace(/\s+/g, '').length);
    expect(answer).toContain('长城');
    // Markdown became elements: the heading, the list and its items; no Markdown marks are left.
    expect(await output.locator('h2').count()).toBe(1);
    expect(await output.locator('h2').textContent()).toContain('长城');
    expect(await output.locator('ul > li').count()).toBeGreaterThan(0);
    expect(answer).not.toMatch(/---|^- /);
    // The answer is labelled as AI-generated, beside it in its card.
    const label = page.locator(inPage(ORDER, 'ai-label'));
    expect(await label.textContent()).toBe('AI生成');
    const card = await page.locator(inPage(ORDER, 'answer')).boundingBox();
    const labelBox = await label.boundingBox();
    expect(card && labelBox && labelBox.y >= card.y && labelBox.y + labelBox.height <= card.y + card.height).toBe(true);
    await shot(page, 'paid-6-completed');

    // The actions after the answer sit on one line each, inside the first screen.
    const copy = page.locator(inPage(ORDER, 'copy'));
    const another = page.locator(inPage(ORDER, 'ask-another'));
    await expectInFirstScreen(page, copy);
    await expectInFirstScreen(page, another);
    expect(Math.round((await another.boundingBox())?.height ?? 0)).toBe(Math.round((await copy.boundingBox())?.height ?? -1));

    // Copying is a protected API: the app's own consent sheet comes first; agreeing copies.
    await copy.click();
    const privacy = page.locator(inPage(ORDER, 'privacy-sheet'));
    await privacy.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await privacy.textContent()).toContain('《用户隐私保护指引》');
    await shot(page, 'paid-7-privacy');
    await privacy.locator('#agree-btn').click();
    await until('the copy is confirmed', () => page.locator('#phone .mp-toast').textContent().catch(() => ''), (text) => (text ?? '').includes('内容已复制'));
    await privacy.waitFor({ state: 'detached' });
    // What was copied reads as text (no Markdown marks) and keeps the AI label.
    expect(await copiedTexts(page)).toEqual([`${readableText(stored.order.output as string)}\n\n【AI生成】`]);
    expect((await copiedTexts(page))[0]).not.toMatch(/---|^- |^#/m);

    // "New question" goes back to the home page below (no second home page), then "my orders".
    await another.click();
    await until('back on the one home page', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === HOME);
    await page.locator(inPage(HOME, 'history')).click();
    await page.locator(inPage(HISTORY, 'tab-orders')).click();
    const row = page.locator(inPage(HISTORY, `order-${orderId}`));
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await row.locator(`.${pageClass(HISTORY, 'row-status')}`).getAttribute('class')).toContain(pageClass(HISTORY, 'status-completed'));
    expect(await page.locator(inPage(HISTORY, `question-${orderId}`)).textContent()).toBe('用三句话介绍一下长城');
    expect(answer.startsWith(((await row.locator(`.${pageClass(HISTORY, 'row-preview')}`).textContent()) ?? '').replace(/\s+/g, ''))).toBe(true);
    await shot(page, 'paid-8-history');

    // The subscribe message the runtime sent when the answer was ready is in the preview's panel.
    await until('the result message shows in the panel', () => page.locator('#messages .preview-message').count(), (count) => count > 0);
    await shot(page, 'paid-9-message');

    // Another simulated user (the panel's switcher sends a different X-WX-OPENID) sees none of it.
    await page.locator('#openid').fill(`e2e-other-${process.pid}`);
    await page.locator('#user-form button').click();
    await until('the preview starts over on the home page', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === HOME);
    await page.locator(inPage(HOME, 'history')).click();
    await page.locator(inPage(HISTORY, 'tab-orders')).click();
    await until('no order of the first user', () => page.locator(inPage(HISTORY, 'empty')).textContent().catch(() => ''), (text) => text === '还没有订单');
    expect(await page.locator(`[data-mp-page="${HISTORY}"] [data-id="${orderId}"]`).count()).toBe(0);
    expect(await page.locator('#messages .preview-message').count()).toBe(0);
  });

  test('the answer arrives through the live stream: the page reads GET /stream (enableChunked) and stops polling getOrder while text grows', async () => {
    await runtime.faults({ llm: { firstTokenMs: 300, tokensPerSecond: 20, answerTokens: 120 } });
    const user = `e2e-stream-${process.pid}`;
    const page = await openPreview(user);
    const requests: Array<{ at: number; url: string }> = [];
    page.on('request', (request) => requests.push({ at: Date.now(), url: request.url() }));
    await orderFromHome(page, 'quick', '写一首关于秋天的短诗', 'stream');
    await payInSheet(page, '¥0.50', 'stream-pay-sheet');
    const output = page.locator(inPage(ORDER, 'output'));
    const status = page.locator(inPage(ORDER, 'status'));
    // Text on screen while the order is still being written, brought by the stream.
    const seen: string[] = [];
    await until('text grows on screen while the order is written', async () => {
      const statusClass = (await status.getAttribute('class')) ?? '';
      if (statusClass.includes(pageClass(ORDER, 'status-writing'))) {
        const text = ((await output.textContent().catch(() => '')) ?? '').replace(/\s+/g, '');
        if (text && text !== seen[seen.length - 1]) seen.push(text);
      }
      return seen.length;
    }, (count) => count >= 2, 30_000);
    await shot(page, 'stream-1-writing');
    await until('the order completes', () => status.getAttribute('class'), (value) => (value ?? '').includes(pageClass(ORDER, 'status-completed')), 30_000);
    const streams = requests.filter((request) => new URL(request.url).pathname === '/stream');
    expect(streams.length).toBeGreaterThanOrEqual(1);
    const opened = (streams[0] as { at: number }).at;
    // Once streaming, the page polls no more: every getOrder call came before the stream opened.
    expect(requests.filter((request) => request.url.endsWith('/api/functions/getOrder') && request.at > opened)).toEqual([]);
    const stored = await runtime.call('getOrder', { orderId: orderIdFrom(page) }, user);
    const expected = renderedText(stored.order.output as string);
    await until('the whole answer is shown', async () => ((await output.textContent()) ?? '').replace(/\s+/g, ''), (text) => text === expected);
    expect(seen[0] && expected.startsWith(seen[0].slice(0, 4))).toBeTruthy();
    await shot(page, 'stream-2-completed');
  });

  test('the order page as a user lives it: "writing" once paid, text flowing in without raw Markdown marks, the restart on another model said, "completed" and copy only with the whole answer, a long question folded', async () => {
    // The first model of the quick tier fails halfway through its answer: the second one restarts it.
    await runtime.faults({ llm: { error: 0, midStreamError: 0, firstTokenMs: 300, tokensPerSecond: 25, answerTokens: 150, byModel: { 'qwen-turbo': { midStreamError: 1 } } } });
    try {
      const user = `e2e-lived-${process.pid}`;
      const page = await openPreview(user);
      // A question pasted from elsewhere, 466 characters long.
      const question = `${'Please compare the approaches we discussed for migrating the billing service, including the risks and the rollback plan. '.repeat(4)}Thanks.`.slice(0, 466);
      expect(question).toHaveLength(466);
      await orderFromHome(page, 'quick', question, 'lived');
      // Every change of the order page, as the user saw it: its headline, answer text, notice and copy button.
      await page.evaluate((route) => {
        const globals = globalThis as unknown as BrowserGlobals & { __frames: Frame[] };
        type Frame = { headline: string; output: string; notice: string; copy: boolean };
        globals.__frames = [];
        const at = (id: string) => globals.document.querySelector(`[data-mp-page="${route}"]:not([hidden]) #${id}`);
        new globals.MutationObserver(() => {
          const headline = at('headline')?.textContent ?? '';
          if (!headline) return;
          globals.__frames.push({ headline, output: (at('output')?.textContent ?? '').replace(/\s+/g, ''), notice: at('notice')?.textContent ?? '', copy: at('copy') !== null });
        }).observe(globals.document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      }, ORDER);
      await payInSheet(page, '¥0.50', 'lived-3-pay-sheet');
      const status = page.locator(inPage(ORDER, 'status'));
      await until('the restart is said', () => page.locator(inPage(ORDER, 'notice')).textContent().catch(() => ''), (text) => text === '正在换一个模型重新回答，之前的内容已清除。', 30_000);
      await shot(page, 'lived-4-restarted');
      await until('the order completes', () => status.getAttribute('class'), (value) => (value ?? '').includes(pageClass(ORDER, 'status-completed')), 30_000);
      const { order } = await runtime.call<{ order: { output: string; status: string } }>('getOrder', { orderId: orderIdFrom(page) }, user);
      const whole = renderedText(order.output);
      const frames = await page.evaluate(() => (globalThis as unknown as { __frames: Array<{ headline: string; output: string; notice: string; copy: boolean }> }).__frames);

      // Once text is on screen the page never says it is still confirming the payment.
      expect(frames.filter((frame) => frame.output !== '' && frame.headline === '正在确认支付…')).toEqual([]);
      // While it streams, no Markdown mark shows raw: no `---` or `-` of the rule under the heading, no list dash.
      expect(frames.filter((frame) => /-/.test(frame.output))).toEqual([]);
      // Text came in many steps, none of them most of the answer at once.
      const lengths = [...new Set(frames.map((frame) => frame.output.length))].filter((length) => length > 0);
      expect(lengths.length).toBeGreaterThanOrEqual(5);
      const jumps = frames.slice(1).map((frame, index) => frame.output.length - (frames[index] as { output: string }).output.length);
      expect(Math.max(...jumps)).toBeLessThan(whole.length / 2);
      // "Completed" and the copy button only with the whole answer on screen.
      expect(frames.filter((frame) => (frame.headline === '已完成' || frame.copy) && frame.output !== whole)).toEqual([]);
      expect(await page.locator(inPage(ORDER, 'output')).textContent().then((text) => (text ?? '').replace(/\s+/g, ''))).toBe(whole);

      // The long question is folded to three lines: the answer starts on the first screen.
      const questionText = page.locator(inPage(ORDER, 'question-text'));
      const folded = await questionText.evaluate((node) => {
        const element = node as unknown as { getBoundingClientRect(): { height: number } };
        const style = (globalThis as unknown as BrowserGlobals).getComputedStyle(node);
        return { height: element.getBoundingClientRect().height, line: parseFloat(style.lineHeight) };
      });
      expect(folded.height).toBeLessThanOrEqual(folded.line * 3 + 1);
      const answerCard = await page.locator(inPage(ORDER, 'answer')).boundingBox();
      const window = await page.locator('.mp-page:not([hidden])').boundingBox();
      expect(answerCard && window && answerCard.y < window.y + window.height).toBe(true);
      await shot(page, 'lived-5-folded');
      await page.locator(inPage(ORDER, 'question-toggle')).click();
      await until('the question unfolds', () => questionText.evaluate((node) => (node as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect().height), (height) => height > folded.line * 6);
      await shot(page, 'lived-6-unfolded');
    } finally {
      await runtime.faults({ llm: { byModel: { 'qwen-turbo': null } } });
    }
  });

  test('cancel on the pay sheet and reload: the purchase waits alone with its question; cancelling puts the question back to edit, and the new question is the one paid', async () => {
    await runtime.faults({ llm: { error: 0, tokensPerSecond: 40, answerTokens: 30 } });
    const user = `e2e-rebind-${process.pid}`;
    const page = await openPreview(user);
    await orderFromHome(page, 'quick', '第一个问题：猫', 'rebind');
    const sheet = page.locator('.mp-pay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await sheet.locator('.mp-pay-amount').textContent()).toBe('¥0.50');
    await sheet.locator('[data-action="cancel"]').click();
    const pending = page.locator(inPage(HOME, 'pending'));
    await pending.waitFor({ timeout: STEP_TIMEOUT_MS });

    // A reload (the mini program opened again): the same purchase, alone, with its own question.
    await page.reload();
    await page.waitForSelector('body[data-preview-ready]', { timeout: STEP_TIMEOUT_MS });
    await pending.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.locator(inPage(HOME, 'pending-question')).textContent()).toBe('第一个问题：猫');
    expect(await page.locator(inPage(HOME, 'pending-tier')).textContent()).toBe('待支付的订单 · 快速回答');
    expect(await page.locator(inPage(HOME, 'prompt')).count()).toBe(0);
    expect(await page.locator(inPage(HOME, 'pay')).count()).toBe(0);
    await expectInFirstScreen(page, page.locator(inPage(HOME, 'cancel-order')));
    await expectInFirstScreen(page, page.locator(inPage(HOME, 'pay-again')));
    await shot(page, 'rebind-3-pending-after-reload');

    // Cancelling is the deliberate way to change it: asked once, then the question is back in the box.
    await page.locator(inPage(HOME, 'cancel-order')).click();
    const modal = page.locator('#phone .mp-modal');
    await modal.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await modal.textContent()).toContain('取消这个问题的支付吗');
    await shot(page, 'rebind-4-ask-to-cancel');
    await modal.locator('[data-action="confirm"]').click();
    await pending.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    const textarea = page.locator(inPage(HOME, 'prompt')).locator('textarea');
    await until('the question is back in the box', () => textarea.inputValue(), (value) => value === '第一个问题：猫');
    // Typing edits it: no dialog on any keystroke.
    await page.locator(inPage(HOME, 'tier-expert')).click();
    await textarea.fill('');
    await textarea.pressSequentially('第二个问题：狗，要长文');
    expect(await page.locator('#phone .mp-modal').count()).toBe(0);
    const pay = page.locator(inPage(HOME, 'pay'));
    await until('the pay button offers the new order', () => pay.textContent(), (text) => (text ?? '').includes('¥4.99'));
    await until('the pay button is enabled', () => pay.getAttribute('disabled'), (value) => value === null);
    await shot(page, 'rebind-5-new-question');
    await pay.click();
    await page.locator('.mp-subscribe-sheet [data-action="reject"]').click();
    await payInSheet(page, '¥4.99', 'rebind-6-pay-sheet');
    await until('the order page opens', async () => (await currentPages(page)).at(-1)?.route, (route) => route === ORDER);

    // The sheet's success is no proof of payment: the order is paid once WeChat Pay's notification is in.
    const paid = { order: await runtime.waitForOrder(orderIdFrom(page), (o) => o.status !== 'pending_payment', user) };
    expect(paid.order).toMatchObject({ tier: 'expert', prompt: '第二个问题：狗，要长文', amountFen: 499 });
    expect(['paid', 'generating', 'completed']).toContain(paid.order.status);
    const orders = (await runtime.call('listOrders', {}, user)).orders as { prompt: string; status: string; tier: string }[];
    expect(orders.map(({ prompt, status, tier }) => ({ prompt, status, tier }))).toEqual([
      { prompt: '第二个问题：狗，要长文', status: paid.order.status === 'completed' ? 'completed' : expect.any(String), tier: 'expert' },
      { prompt: '第一个问题：猫', status: 'closed', tier: 'quick' },
    ]);
    expect(await page.locator(inPage(ORDER, 'question')).textContent()).toContain('第二个问题：狗，要长文');
    await shot(page, 'rebind-7-order');
  });

  test('in English, with the expert tier and a notice shown, every primary action is inside the first screen', async () => {
    await runtime.faults({ llm: { error: 0, tokensPerSecond: 40 } });
    const page = await openPreview(`e2e-english-${process.pid}`);
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.locator(inPage(HOME, 'language')).click();
    await until('the page speaks English', () => page.locator(inPage(HOME, 'pay')).textContent(), (text) => (text ?? '').startsWith('Pay'));
    await page.locator(inPage(HOME, 'tier-expert')).click();
    const textarea = page.locator(inPage(HOME, 'prompt')).locator('textarea');
    await textarea.pressSequentially('Explain the Great Wall in three sentences');
    const pay = page.locator(inPage(HOME, 'pay'));
    await until('the pay button is enabled', () => pay.getAttribute('disabled'), (value) => value === null);
    await expectInFirstScreen(page, pay);
    await shot(page, 'english-1-home');

    await pay.click();
    await page.locator('.mp-subscribe-sheet [data-action="reject"]').click();
    const sheet = page.locator('.mp-pay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    await sheet.locator('[data-action="cancel"]').click();
    const notice = page.locator(inPage(HOME, 'notice'));
    await until('the notice in English', () => notice.textContent().catch(() => ''), (text) => (text ?? '').startsWith('You cancelled the payment'));
    for (const id of ['notice', 'pending-question', 'cancel-order', 'pay-again']) await expectInFirstScreen(page, page.locator(inPage(HOME, id)));
    await shot(page, 'english-2-pending');

    // A prompt over the tier's limit: the message and the count stay on screen with the actions.
    await page.locator(inPage(HOME, 'cancel-order')).click();
    await page.locator('#phone .mp-modal [data-action="confirm"]').click();
    await page.locator(inPage(HOME, 'pending')).waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    await page.locator(inPage(HOME, 'tier-quick')).click();
    await textarea.fill('x'.repeat(520));
    await until('the limit message', () => page.locator(inPage(HOME, 'limit-message')).textContent().catch(() => ''), (text) => (text ?? '').includes('520'));
    for (const id of ['limit-message', 'prompt-count', 'pay']) await expectInFirstScreen(page, page.locator(inPage(HOME, id)));
    await shot(page, 'english-3-too-long');

    // The expert tier takes it: one tap switches, the question kept, and it can be paid.
    const switchTier = page.locator(inPage(HOME, 'switch-tier'));
    expect(await switchTier.textContent()).toBe('Switch to Expert long-form (up to 2000), keeping the question');
    await switchTier.click();
    await until('the expert tier is chosen', () => page.locator(inPage(HOME, 'tier-expert')).getAttribute('class'), (value) => (value ?? '').includes(pageClass(HOME, 'tier-selected')));
    expect(await textarea.inputValue()).toBe('x'.repeat(520));
    await until('the pay button is enabled', () => pay.getAttribute('disabled'), (value) => value === null);
    expect(await switchTier.count()).toBe(0);
    await shot(page, 'english-4-switched-tier');
  });

  test('when every model fails, the order page shows the refund and its amount', async () => {
    await runtime.faults({ llm: { error: 1, tokensPerSecond: 40 } });
    try {
      const user = `e2e-refund-${process.pid}`;
      const page = await openPreview(user);
      await orderFromHome(page, 'quick', '写一首关于茶的短诗', 'refund');
      await payInSheet(page, '¥0.50', 'refund-3-pay-sheet');

      const status = page.locator(inPage(ORDER, 'status'));
      await until('the order is refunded', () => status.getAttribute('class'), (value) => (value ?? '').includes(pageClass(ORDER, 'status-refunded')), 30_000);
      const headline = (await status.textContent()) ?? '';
      expect(headline).toContain('0.50');
      expect(await page.locator(inPage(ORDER, 'refund-explain')).isVisible()).toBe(true);
      expect(await page.locator(inPage(ORDER, 'meta')).textContent()).toContain('¥0.50');
      const orderId = orderIdFrom(page);
      const { order: refunded } = await runtime.call<{ order: { outTradeNo: string } }>('getOrder', { orderId }, user);
      // What went back, when it arrives, and the order's number; buttons that say what they do.
      const returned = (await page.locator(inPage(ORDER, 'returned')).textContent()) ?? '';
      expect(returned).toContain('¥0.50 原路退回你付款的微信支付账户。');
      expect(returned).toContain('退回零钱一般 20 分钟内到账，退回银行卡一般 1–3 个工作日');
      expect(returned).toContain(`订单号：${refunded.outTradeNo}`);
      expect(await page.locator(inPage(ORDER, 'ask-again')).textContent()).toBe('重试这个问题');
      expect(await page.locator(inPage(ORDER, 'ask-another')).textContent()).toBe('问新问题');
      await shot(page, 'refund-4-refunded');

      const stored = await runtime.call('getOrder', { orderId }, user);
      expect(stored.order.status).toBe('refunded');
      expect(stored.order.refundedAt).toBeGreaterThan(0);

      // "Ask again": home, with the same question and tier filled in, ready to pay.
      await page.locator(inPage(ORDER, 'ask-again')).click();
      await until('back on the one home page', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === HOME);
      const textarea = page.locator(inPage(HOME, 'prompt')).locator('textarea');
      await until('the question is filled in', () => textarea.inputValue(), (value) => value === '写一首关于茶的短诗');
      expect(await page.locator(inPage(HOME, 'tier-quick')).getAttribute('class')).toContain(pageClass(HOME, 'tier-selected'));
      expect(await page.locator(inPage(HOME, 'pay')).getAttribute('disabled')).toBeNull();
      await shot(page, 'refund-5-ask-again');
    } finally {
      await runtime.faults({ llm: { error: 0 } });
    }
  });

  test('rpx and vh follow the phone, and navigation keeps a page stack and hands the query to the page', async () => {
    const page = await openPreview(`e2e-nav-${process.pid}`);
    const home = page.locator(`[data-mp-page="${HOME}"] .${pageClass(HOME, 'page')}`);
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    // index.wxss: .page { padding: 16rpx 32rpx 0; min-height: 100vh }, on a 375 px phone whose page window is 603 px high.
    const box = await home.evaluate((element) => {
      const style = (globalThis as unknown as BrowserGlobals).getComputedStyle(element);
      return { top: style.paddingTop, left: style.paddingLeft, minHeight: style.minHeight };
    });
    expect(box).toEqual({ top: '8px', left: '16px', minHeight: '603px' });

    await page.locator(inPage(HOME, 'history')).click();
    await page.locator(`[data-mp-page="${HISTORY}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.locator('#title').textContent()).toBe('我的对话');
    expect((await currentPages(page)).map((entry) => entry.route)).toEqual([HOME, HISTORY]);
    expect(await page.locator('#back').isVisible()).toBe(true);
    await page.locator('#back').click();
    await page.locator(`[data-mp-page="${HISTORY}"]`).waitFor({ state: 'detached' });
    expect((await currentPages(page)).map((entry) => entry.route)).toEqual([HOME]);
    expect(await page.locator(`[data-mp-page="${HOME}"]`).isVisible()).toBe(true);

    // The query reaches the page (onLoad and the properties of the same name): this order does not exist for this user.
    expect(await callWx(page, 'navigateTo', { url: '/pages/order/order?orderId=no-such-order' })).toEqual({ errMsg: 'navigateTo:ok' });
    expect((await currentPages(page)).at(-1)).toEqual({ route: ORDER, options: { orderId: 'no-such-order' } });
    // Not a dead end: a page that says so, with the ways on inside the first screen.
    const missing = page.locator(inPage(ORDER, 'missing'));
    await missing.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await missing.textContent()).toContain('找不到这个订单');
    await expectInFirstScreen(page, page.locator(inPage(ORDER, 'missing-home')));
    await expectInFirstScreen(page, page.locator(inPage(ORDER, 'missing-history')));
    await shot(page, 'nav-1-unknown-order');
    expect(await callWx(page, 'navigateTo', { url: '/pages/nope/nope' })).toEqual({ failed: { errMsg: 'navigateTo:fail page "pages/nope/nope" is not found' } });
    expect(await callWx(page, 'navigateBack', { delta: 5 })).toEqual({ errMsg: 'navigateBack:ok' });
    expect((await currentPages(page)).map((entry) => entry.route)).toEqual([HOME]);
    expect(await callWx(page, 'navigateBack')).toEqual({ failed: { errMsg: 'navigateBack:fail cannot navigate back at first page.' } });
  });

  test('toast, loading and modal are drawn in the phone and answer as WeChat does', async () => {
    const page = await openPreview(`e2e-ui-${process.pid}`);
    expect(await callWx(page, 'showToast', { title: '已保存', icon: 'success', duration: 400 })).toEqual({ errMsg: 'showToast:ok' });
    const toast = page.locator('#phone .mp-toast');
    expect(await toast.textContent()).toContain('已保存');
    await shot(page, 'ui-1-toast');
    await toast.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });

    await callWx(page, 'showLoading', { title: '加载中' });
    expect(await page.locator('#phone .mp-toast[data-kind="loading"] .mp-spinner').count()).toBe(1);
    expect(await page.locator('#phone .mp-toast').textContent()).toContain('加载中');
    await callWx(page, 'hideLoading');
    expect(await page.locator('#phone .mp-toast').count()).toBe(0);

    const confirmed = callWx(page, 'showModal', { title: '取消订单？', content: '取消后不会扣款。' });
    const modal = page.locator('#phone .mp-modal');
    await modal.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await modal.textContent()).toContain('取消后不会扣款。');
    await shot(page, 'ui-2-modal');
    await modal.locator('[data-action="confirm"]').click();
    expect(await confirmed).toEqual({ errMsg: 'showModal:ok', confirm: true, cancel: false });
    const cancelled = callWx(page, 'showModal', { title: '再想想？', confirmText: '好' });
    await modal.locator('[data-action="cancel"]').click();
    expect(await cancelled).toEqual({ errMsg: 'showModal:ok', confirm: false, cancel: true });
  });

  test('cancelling or failing in the pay sheet reaches the page as WeChat reports it, and the order can still be paid', async () => {
    await runtime.faults({ llm: { error: 0, tokensPerSecond: 40 } });
    const user = `e2e-retry-${process.pid}`;
    const page = await openPreview(user);
    await orderFromHome(page, 'quick', '今天喝什么茶', 'retry');
    const sheet = page.locator('.mp-pay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    await sheet.locator('[data-action="cancel"]').click();
    const notice = page.locator(inPage(HOME, 'notice'));
    await until('the page explains the cancelled payment', () => notice.textContent().catch(() => ''), (text) => (text ?? '').includes('取消了支付'));
    expect(await page.locator(inPage(HOME, 'pending-question')).textContent()).toBe('今天喝什么茶');
    await shot(page, 'retry-3-cancelled');
    const [pending] = (await runtime.call('listOrders', {}, user)).orders as { orderId: string; status: string }[];
    expect(pending?.status).toBe('pending_payment');

    const payAgain = page.locator(inPage(HOME, 'pay-again'));
    await payAgain.click();
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    await sheet.locator('[data-action="fail"]').click();
    await until('the page explains the failed payment', () => notice.textContent().catch(() => ''), (text) => (text ?? '').startsWith('支付没有完成。'));
    expect(await notice.textContent()).not.toContain('（');
    await shot(page, 'retry-4-failed');
    expect((await runtime.call('getOrder', { orderId: pending?.orderId }, user)).order.status).toBe('pending_payment');

    await payAgain.click();
    await payInSheet(page, '¥0.50', 'retry-5-pay-sheet');
    await until('the order page opens', async () => (await currentPages(page)).at(-1)?.route, (route) => route === ORDER);
    expect(orderIdFrom(page)).toBe(pending?.orderId);
    const status = page.locator(inPage(ORDER, 'status'));
    await until('the order completes', () => status.getAttribute('class'), (value) => (value ?? '').includes(pageClass(ORDER, 'status-completed')), 30_000);
  });
});

/** The functions' side of virtual payment, as the test plays it with the runtime's own local keys (DATA_DIR/xpay-secrets.json). */
function wechatSide(on: LocalRuntime): XpayTestClient {
  const secrets = JSON.parse(readFileSync(join(on.dataDir, 'xpay-secrets.json'), 'utf8')) as LocalXpaySecrets;
  return new XpayTestClient(on.url, {
    appId: 'wx-local-app',
    appSecret: secrets.WX_APPSECRET,
    offerId: secrets.XPAY_OFFER_ID,
    appKeys: { live: secrets.XPAY_APP_KEY, sandbox: secrets.XPAY_SANDBOX_APP_KEY },
    originalId: secrets.XPAY_ORIGINAL_ID,
  });
}

type Callbacked = { success?: Record<string, unknown>; fail?: Record<string, unknown>; returned?: unknown };

/** ¥1.00 of tokens at the published token price (core/config/packs.ts), the emulator's catalogue: the iOS floor, and a plain price on the sheet. */
const TOKENS_FOR_A_YUAN = 100 / TOKEN_PRICE_FEN;

/** wx.requestVirtualPayment called from the page the only way it can be, with callbacks: what success or fail received, and what the call returned. */
function requestVirtualPayment(page: Page, params: object): Promise<Callbacked> {
  return page.evaluate(
    (options) =>
      new Promise<Callbacked>((resolve) => {
        const globals = globalThis as unknown as { wx: { requestVirtualPayment(options: object): unknown } };
        const returned = globals.wx.requestVirtualPayment({
          ...options,
          success: (result: Record<string, unknown>) => resolve({ success: result, returned }),
          fail: (error: Record<string, unknown>) => resolve({ fail: error, returned }),
        });
      }),
    params,
  );
}

/** A synchronous wx API (getDeviceInfo, getAppBaseInfo, canIUse) called in the preview. */
function wxSync(page: Page, api: string, argument?: string): Promise<unknown> {
  return page.evaluate(([name, value]) => ((globalThis as unknown as { wx: Record<string, (argument?: string) => unknown> }).wx[name as string] as (argument?: string) => unknown)(value), [api, argument] as const);
}

describe('the preview in a narrow window', () => {
  test('at 375 px the phone fills the window without overflowing, and the language toggle is whole and works', async () => {
    const page = await openPreview(`e2e-narrow-${process.pid}`, { viewport: { width: 375, height: 667 } });
    const toggle = page.locator(inPage(HOME, 'language'));
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    const width = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return { scroll: root.scrollWidth, client: root.clientWidth };
    });
    expect(width.scroll).toBeLessThanOrEqual(width.client);
    const box = await toggle.boundingBox();
    const phone = await page.locator('#phone').boundingBox();
    expect(box && phone).toBeTruthy();
    if (!box || !phone) return;
    // Whole: inside the window and inside the phone, and what a tap at its middle reaches.
    expect({ left: box.x >= 0, right: box.x + box.width <= width.client, inPhone: box.x + box.width <= phone.x + phone.width }).toEqual({ left: true, right: true, inPhone: true });
    const hit = await page.evaluate(([x, y]) => {
      const { document } = globalThis as unknown as { document: { elementFromPoint(x: number, y: number): { closest(selector: string): unknown } | null } };
      return document.elementFromPoint(x as number, y as number)?.closest('#language') !== null;
    }, [box.x + box.width / 2, box.y + box.height / 2] as const);
    expect(hit).toBe(true);
    await shot(page, 'narrow-1-home');
    await toggle.click();
    await until('the page speaks English', () => toggle.textContent(), (text) => text === '中文');
    await shot(page, 'narrow-2-english');
  });
});

describe("the preview's virtual payment: wx.login, the platform switch and WeChat's or Apple's sheet", () => {
  test('Android: WeChat Pay\'s sheet shows the emulator\'s order; cancel is -2, the spent outTradeNo -15002, a replaced session key -15007, and paying credits the tokens', async () => {
    const user = `e2e-vpay-android-${process.pid}`;
    const wechat = wechatSide(runtime);
    const page = await openPreview(user, { device: 'android' });
    expect(await wxSync(page, 'getDeviceInfo')).toMatchObject({ platform: 'android', system: 'Android 14' });
    expect(await wxSync(page, 'getAppBaseInfo')).toMatchObject({ version: '8.0.68', host: { env: 'WeChat' } });
    for (const api of ['requestVirtualPayment', 'login', 'getDeviceInfo', 'getAppBaseInfo']) expect({ api, can: await wxSync(page, 'canIUse', api) }).toEqual({ api, can: true });

    /** wx.login in the preview, then code2Session on the functions' side: the user's session key now. */
    const sessionKey = async () => {
      const login = await callWx(page, 'login');
      expect(login).toMatchObject({ errMsg: 'login:ok', code: expect.any(String) });
      return (await wechat.code2Session(login.code as string)).session_key as string;
    };
    const key = await sessionKey();
    const cancelled = wechat.payment(key, { buyQuantity: TOKENS_FOR_A_YUAN, outTradeNo: `e2e-a-${process.pid}` }, 'short_series_coin');
    const first = requestVirtualPayment(page, cancelled);
    const sheet = page.locator('.mp-vpay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await sheet.getAttribute('data-sheet')).toBe('wechat');
    expect(await sheet.locator('.mp-pay-amount').textContent()).toBe('¥1.00');
    expect(await sheet.textContent()).toContain(`${TOKENS_FOR_A_YUAN} 代币`);
    await shot(page, 'vpay-1-wechat-sheet');
    await sheet.locator('[data-action="cancel"]').click();
    expect(await first).toMatchObject({ fail: { errCode: -2 }, returned: undefined });
    // That order is closed: its parameters open nothing again.
    expect(await requestVirtualPayment(page, cancelled)).toMatchObject({ fail: { errCode: -15002 } });
    expect(await sheet.count()).toBe(0);

    const paid = requestVirtualPayment(page, wechat.payment(key, { buyQuantity: TOKENS_FOR_A_YUAN, outTradeNo: `e2e-b-${process.pid}` }, 'short_series_coin'));
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    await sheet.locator('[data-action="success"]').click();
    expect(await paid).toMatchObject({ success: { errMsg: 'requestVirtualPayment:ok' } });
    expect(((await runtime.get<{ balances: Record<string, { balance: number }> }>(`/api/inspect/xpay/users/${user}`)).balances['0'] as { balance: number }).balance).toBe(TOKENS_FOR_A_YUAN);

    // A later wx.login replaces the key: what was signed with the old one is refused before any sheet.
    await sessionKey();
    expect(await requestVirtualPayment(page, wechat.payment(key, { buyQuantity: TOKENS_FOR_A_YUAN, outTradeNo: `e2e-c-${process.pid}` }, 'short_series_coin'))).toMatchObject({ fail: { errCode: -15007 } });
    expect(await sheet.count()).toBe(0);
  });

  test("iOS: the panel's switch makes the phone an iPhone, Apple's sheet takes the payment; an iPhone on WeChat 8.0.67 cannot pay at all", async () => {
    const user = `e2e-vpay-ios-${process.pid}`;
    const wechat = wechatSide(runtime);
    const page = await openPreview(user, { device: 'android' });
    await page.locator('#device').selectOption('ios');
    await until('the phone is an iPhone', () => wxSync(page, 'getDeviceInfo'), (info) => (info as { platform: string }).platform === 'ios');
    expect(await wxSync(page, 'getDeviceInfo')).toMatchObject({ system: 'iOS 17.5.1' });
    const login = await callWx(page, 'login');
    const key = (await wechat.code2Session(login.code as string)).session_key as string;
    const bought = requestVirtualPayment(page, wechat.payment(key, { buyQuantity: TOKENS_FOR_A_YUAN, outTradeNo: `e2e-ios-${process.pid}` }, 'short_series_coin'));
    const sheet = page.locator('.mp-vpay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await sheet.getAttribute('data-sheet')).toBe('apple');
    expect(await sheet.locator('.mp-apple-price').textContent()).toBe('¥1.00');
    expect(await sheet.textContent()).toContain(`${TOKENS_FOR_A_YUAN} 代币`);
    await shot(page, 'vpay-2-apple-sheet');
    await sheet.locator('[data-action="success"]').click();
    expect(await bought).toMatchObject({ success: { errMsg: 'requestVirtualPayment:ok' } });
    expect((await runtime.get<{ orders: { platform: string; view: { status: number } }[] }>(`/api/inspect/xpay/users/${user}`)).orders).toEqual([expect.objectContaining({ platform: 'ios' })]);

    await page.locator('#device').selectOption('ios-old-wechat');
    await until('WeChat 8.0.67', () => wxSync(page, 'getAppBaseInfo'), (info) => (info as { version: string }).version === '8.0.67');
    const refused = await requestVirtualPayment(page, wechat.payment(key, { buyQuantity: TOKENS_FOR_A_YUAN, outTradeNo: `e2e-old-${process.pid}` }, 'short_series_coin'));
    expect(refused.fail?.errMsg).toBe('requestVirtualPayment:fail 客户端版本过低');
    expect(await sheet.count()).toBe(0);
  });
});

/**
 * The functions of virtual payment (listTiers' payMode and packs, getBalance, createTopUp,
 * createOrder's payWith) behind the home page, and the conversation page an answer paid with
 * tokens opens, on a runtime of their own with PAY_MODE=virtual.
 */
describe('virtual payment end to end on the home page (PAY_MODE=virtual)', () => {
  let virtual: LocalRuntime;

  beforeAll(async () => {
    // No welcome tokens: the first question finds the balance short and the top-up sheet opens.
    virtual = await LocalRuntime.start({ RATE_LIMIT_PER_MINUTE: '100', PAY_MODE: 'virtual', WELCOME_TOKENS: '0' });
    await virtual.faults({ llm: { error: 0, tokensPerSecond: 40, answerTokens: 30 } });
  });

  afterAll(async () => {
    await virtual?.stop();
  });

  /** The balance as the home page shows it, once it is read. */
  async function balanceShown(page: Page): Promise<string> {
    const balance = page.locator(inPage(HOME, 'balance-text'));
    return until('the balance is shown', async () => (await balance.textContent().catch(() => '')) ?? '', (text) => /\d/.test(text));
  }

  /** The conversation page's turn `index` is answered in full, labelled, and says what it cost. */
  async function answered(page: Page, index: number, texts: { paid: RegExp; label: string }): Promise<void> {
    await until('the answer is complete on screen', () => page.locator(inPage(CONVERSATION, `copy-${index}`)).count(), (count) => count === 1, 30_000);
    expect(await page.locator(inPage(CONVERSATION, `ai-label-${index}`)).textContent()).toBe(texts.label);
    expect(await page.locator(inPage(CONVERSATION, `paid-${index}`)).textContent()).toMatch(texts.paid);
  }

  /** Asks with tokens that are not there, tops up with the first pack offered in `sheet`'s look, then asks again: the answer needs no sheet, and its conversation opens. */
  async function topUpThenAsk(page: Page, question: string, sheetKind: 'wechat' | 'apple', texts: { need: RegExp; done: RegExp; paid: RegExp; label: string }, prefix: string): Promise<void> {
    const textarea = page.locator(inPage(HOME, 'prompt')).locator('textarea');
    await textarea.pressSequentially(question);
    const ask = page.locator(inPage(HOME, 'pay'));
    await until('the ask button is enabled', () => ask.getAttribute('disabled'), (value) => value === null);
    await shot(page, `${prefix}-1-home`);
    await ask.click();

    const topUp = page.locator(inPage(HOME, 'topup'));
    await topUp.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.locator(inPage(HOME, 'topup-need')).textContent()).toMatch(texts.need);
    expect(await textarea.count()).toBe(1);
    await shot(page, `${prefix}-2-topup-sheet`);
    const pack = topUp.locator('[id^="pack-"]').first();
    const packPrice = ((await pack.locator(`.${pageClass(HOME, 'pack-price')}`).textContent()) ?? '').trim();
    await pack.click();

    const sheet = page.locator('.mp-vpay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await sheet.getAttribute('data-sheet')).toBe(sheetKind);
    expect(await sheet.textContent()).toContain(packPrice);
    await shot(page, `${prefix}-3-${sheetKind}-sheet`);
    await sheet.locator('[data-action="success"]').click();
    await until('the tokens arrived', () => page.locator(inPage(HOME, 'notice')).textContent().catch(() => ''), (text) => texts.done.test(text ?? ''));
    expect(await topUp.count()).toBe(0);
    // The question is still there, and now it is asked with tokens: no sheet at all.
    expect(await textarea.inputValue()).toBe(question);
    await shot(page, `${prefix}-4-topped-up`);
    await ask.click();
    await until('its conversation opens', async () => (await currentPages(page)).at(-1)?.route, (route) => route === CONVERSATION);
    expect(await page.locator('.mp-vpay-sheet').count()).toBe(0);
    expect(await page.locator('.mp-pay-sheet').count()).toBe(0);
    expect(await page.locator(inPage(CONVERSATION, 'question-0')).textContent()).toBe(question);
    await answered(page, 0, texts);
    await shot(page, `${prefix}-5-answer`);
  }

  /** The conversation the page shows, as the server holds it. */
  async function shownConversation(page: Page, user: string): Promise<{ conversationId: string; turns: Array<{ prompt: string; payWith: string; amountTokens?: number; amountFen: number; status: string }> }> {
    const conversationId = (await currentPages(page)).at(-1)?.options.conversationId ?? '';
    const answer = await virtual.call<{ conversation: { conversationId: string; turns: Array<{ prompt: string; payWith: string; amountTokens?: number; amountFen: number; status: string }> } }>('getConversation', { conversationId }, user);
    return answer.conversation;
  }

  /** Writes a follow-up on the conversation page and sends it. */
  async function followUp(page: Page, question: string): Promise<void> {
    await page.locator(inPage(CONVERSATION, 'follow-up')).locator('textarea').pressSequentially(question);
    const send = page.locator(inPage(CONVERSATION, 'send'));
    await until('the follow-up can be sent', () => send.getAttribute('disabled'), (value) => value === null);
    await send.click();
  }

  test('in Chinese on Android: the top-up sheet, WeChat Pay\'s sheet, the balance, then an answer paid with tokens', async () => {
    const user = `e2e-tokens-zh-${process.pid}`;
    const page = await openPreview(user, { device: 'android', on: virtual });
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    const before = await balanceShown(page);
    expect(before).toMatch(/^代币余额 \d+$/);
    expect(await page.locator(inPage(HOME, 'pay')).textContent()).toMatch(/^提问 · \d+ 代币$/);
    const zh = { need: /^这个回答需要 \d+ 代币，你现在有 \d+ 个。/, done: /^充值成功，到账 \d+ 代币。$/, paid: /^\d+ 代币$/, label: 'AI生成' };
    await topUpThenAsk(page, '用一句话介绍长城', 'wechat', zh, 'tokens-zh');
    const first = await shownConversation(page, user);
    expect(first.turns).toHaveLength(1);
    expect(first.turns[0]).toMatchObject({ prompt: '用一句话介绍长城', payWith: 'tokens', amountFen: 0 });
    expect(first.turns[0]?.amountTokens).toBeGreaterThan(0);

    // Follow-ups until the tokens run out; the one they do not cover goes to the home page's top-up and back.
    const send = page.locator(inPage(CONVERSATION, 'send'));
    const price = Number(/(\d+)/.exec((await send.textContent()) ?? '')?.[1]);
    expect(await send.textContent()).toBe(`发送 · ${price} 代币`);
    const { balance } = await virtual.call<{ ok: boolean; balance: number }>('getBalance', {}, user);
    let turns = 1;
    for (let left = balance; left >= price; left -= price) {
      await followUp(page, `再说一点（${turns}）`);
      await answered(page, turns, zh);
      turns += 1;
    }
    const kept = '最后再总结一句';
    await followUp(page, kept);
    await until('the home page opens its top-up for the follow-up', async () => (await currentPages(page)).map((entry) => `${entry.route}?${entry.options.topUp ?? ''}`).join(), (routes) => routes === `${HOME}?,${CONVERSATION}?,${HOME}?1`);
    const topUp = page.locator(inPage(HOME, 'topup'));
    await topUp.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.locator(inPage(HOME, 'topup-need')).textContent()).toMatch(new RegExp(`^这个回答需要 ${price} 代币，你现在有 0 个。`));
    expect(await page.locator(inPage(HOME, 'topup-handoff')).textContent()).toBe('充值到账后会回到对话，你的问题还在输入框里。');
    expect(await page.locator(inPage(HOME, 'buy-one')).count()).toBe(0);
    await shot(page, 'tokens-zh-6-handoff-topup');
    await topUp.locator('[id^="pack-"]').first().click();
    const sheet = page.locator('.mp-vpay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    await sheet.locator('[data-action="success"]').click();
    await until('back in the conversation', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === `${HOME},${CONVERSATION}`);
    const box = page.locator(inPage(CONVERSATION, 'follow-up')).locator('textarea');
    expect(await box.inputValue()).toBe(kept);
    // The conversation keeps the title it set (its first question), as WeChat keeps a page's title.
    expect(await page.locator('#title').textContent()).toBe('用一句话介绍长城');
    await shot(page, 'tokens-zh-7-back-in-conversation');
    await until('the follow-up can be sent', () => send.getAttribute('disabled'), (value) => value === null);
    await send.click();
    await answered(page, turns, zh);
    const last = await shownConversation(page, user);
    expect(last.turns.map((turn) => turn.prompt).at(-1)).toBe(kept);
    expect(last.turns.every((turn) => turn.payWith === 'tokens' && turn.status === 'completed')).toBe(true);
    await shot(page, 'tokens-zh-8-answered-after-topup');
  });

  test('in English on an iPhone: Apple\'s sheet takes the top-up, then an answer paid with tokens', async () => {
    const page = await openPreview(`e2e-tokens-en-${process.pid}`, { device: 'ios', on: virtual });
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.locator(inPage(HOME, 'language')).click();
    await until('English', () => balanceShown(page), (text) => text.startsWith('Tokens: '));
    await topUpThenAsk(page, 'The Great Wall in one sentence', 'apple', { need: /^This answer takes \d+ tokens and you have \d+\./, done: /^Topped up: \d+ tokens added\.$/, paid: /^\d+ tokens$/, label: 'AI-generated' }, 'tokens-en');
  });

  test('on an iPhone with WeChat 8.0.67: no price, pack or payment word, and WeChat\'s words for an unavailable feature', async () => {
    const page = await openPreview(`e2e-tokens-old-${process.pid}`, { device: 'ios-old-wechat', on: virtual });
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    await balanceShown(page);
    await page.locator(inPage(HOME, 'prompt')).locator('textarea').pressSequentially('写一首诗');
    await page.locator(inPage(HOME, 'unavailable')).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.locator(inPage(HOME, 'unavailable')).textContent()).toBe('由于相关规范，iOS功能暂不可用');
    const text = (await page.locator(`[data-mp-page="${HOME}"]`).textContent()) ?? '';
    expect(text).not.toMatch(/¥|元|支付|付款|购买|充值|价格|订单|套餐/);
    await shot(page, 'tokens-old-iphone');
  });
});
