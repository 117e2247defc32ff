/**
 * The browser preview, end to end, in real Chromium: the mini program's own pages (rendered by
 * miniprogram-simulate in the preview at `/`) against the real local runtime. Screenshots of every
 * step go to test/artifacts/preview/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { answerBlocks, nodesText } from '../miniprogram/services/markdown';
import type { LocalXpaySecrets } from '../local/wechat/settings';
import { LocalRuntime } from './support/runtime';
import { XpayTestClient } from './support/xpayEmulator';

// Debian's chromium-headless-shell: Blink without the desktop browser's UI, as Playwright runs headless tests.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';
const ARTIFACTS = join(__dirname, 'artifacts', 'preview');
const STEP_TIMEOUT_MS = 15_000;

let runtime: LocalRuntime;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** An element of a page by its WXML id (the preview writes ids into the DOM, as WeChat's renderer does). */
const inPage = (route: string, id: string) => `[data-mp-page="${route}"]:not([hidden]) #${id}`;
/** WXML classes are prefixed with the page's tag, as miniprogram-simulate does: `card` → `mp-pages-index-index--card`. */
const pageClass = (route: string, className: string) => `mp-${route.replace(/\//g, '-')}--${className}`;
const HOME = 'pages/index/index';
const ORDER = 'pages/order/order';
const HISTORY = 'pages/history/history';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}; the preview's end-to-end test needs it. Install it with: bash scripts/ensure-test-deps.sh (as root: apt-get install -y chromium-headless-shell fonts-noto-cjk)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  // PAY_MODE=simulator: answers paid one by one with wx.requestPayment (cloud pay, emulated). The
  // emulated WeChat side of virtual payment (sheets, login) runs in every runtime whatever the mode.
  runtime = await LocalRuntime.start({ RATE_LIMIT_PER_MINUTE: '100', PAY_MODE: 'simulator' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
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

async function openPreview(openid: string, options: { device?: string; viewport?: { width: number; height: number }; on?: LocalRuntime } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 820, height: 720 }, locale: 'zh-CN' });
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${(options.on ?? runtime).url}/?openid=${openid}${options.device ? `&device=${options.device}` : ''}`);
  await page.waitForSelector('body[data-preview-ready]', { timeout: STEP_TIMEOUT_MS });
  expect(problems).toEqual([]);
  expect(await page.locator('#errors li').count()).toBe(0);
  return page;
}

/** Reads `read()` until `ok` accepts it (bounded in time), for what the page changes on its own. */
async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The text a reader sees of a Markdown answer, as the mini program renders it, without white space. */
function renderedText(markdown: string): string {
  return answerBlocks(markdown, true)
    .map((block) => nodesText(block.nodes))
    .join('')
    .replace(/\s+/g, '');
}

/** The element is on the phone's first screen: inside the page window without scrolling. */
async function expectInFirstScreen(page: Page, element: Locator): Promise<void> {
  const box = await element.boundingBox();
  const window = await page.locator('.mp-page:not([hidden])').boundingBox();
  const scrollTop = await page.locator('.mp-page:not([hidden])').evaluate((node) => (node as unknown as { scrollTop: number }).scrollTop);
  expect({ visible: box !== null, scrolled: scrollTop }).toEqual({ visible: true, scrolled: 0 });
  if (!box || !window) return;
  expect({ top: box.y >= window.y - 0.5, bottom: box.y + box.height <= window.y + window.height + 0.5 }).toEqual({ top: true, bottom: true });
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

/** The few browser globals the test reads inside the page (this program has no DOM typings). */
interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null; className: string } | null };
  getComputedStyle(element: unknown): { paddingTop: string; paddingLeft: string; minHeight: string };
}

/** What the preview exposes to the pages, reached from the test as a page's code reaches it. */
interface PreviewGlobals {
  wx: Record<string, (options?: unknown) => Promise<unknown>>;
  getCurrentPages(): { route: string; options: Record<string, string> }[];
}

/** Calls `wx[api](options)` in the preview the way page code does (promise style), resolving to its answer or its `{ errMsg }`. */
function callWx(page: Page, api: string, options: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return page.evaluate(
    ([name, argument]) => {
      const globals = globalThis as unknown as PreviewGlobals;
      return (globals.wx[name as string] as (options: unknown) => Promise<Record<string, unknown>>)(argument).catch((error: Record<string, unknown>) => ({ failed: error }));
    },
    [api, options] as const,
  );
}

function currentPages(page: Page): Promise<{ route: string; options: Record<string, string> }[]> {
  return page.evaluate(() => (globalThis as unknown as PreviewGlobals).getCurrentPages().map(({ route, options }) => ({ route, options })));
}

function orderIdFrom(page: Page): string {
  const match = /orderId=([A-Za-z0-9_-]+)/.exec(new URL(page.url()).hash);
  if (!match) throw new Error(`no order in the preview's address: ${page.url()}`);
  return match[1] as string;
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

    // "New question" goes back to the home page below (no second home page), then "my orders".
    await another.click();
    await until('back on the one home page', async () => (await currentPages(page)).map((entry) => entry.route).join(), (routes) => routes === HOME);
    await page.locator(inPage(HOME, 'history')).click();
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
    await page.locator(inPage(HISTORY, 'empty')).waitFor({ timeout: STEP_TIMEOUT_MS });
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
      await shot(page, 'refund-4-refunded');

      const orderId = orderIdFrom(page);
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
    expect(await page.locator('#title').textContent()).toBe('我的订单');
    expect((await currentPages(page)).map((entry) => entry.route)).toEqual([HOME, HISTORY]);
    expect(await page.locator('#back').isVisible()).toBe(true);
    await page.locator('#back').click();
    await page.locator(`[data-mp-page="${HISTORY}"]`).waitFor({ state: 'detached' });
    expect((await currentPages(page)).map((entry) => entry.route)).toEqual([HOME]);
    expect(await page.locator(`[data-mp-page="${HOME}"]`).isVisible()).toBe(true);

    // The query reaches the page (onLoad and the properties of the same name): this order does not exist for this user.
    expect(await callWx(page, 'navigateTo', { url: '/pages/order/order?orderId=no-such-order' })).toEqual({ errMsg: 'navigateTo:ok' });
    expect((await currentPages(page)).at(-1)).toEqual({ route: ORDER, options: { orderId: 'no-such-order' } });
    const status = page.locator(inPage(ORDER, 'status'));
    await until('the order page reports the unknown order', () => status.getAttribute('class'), (value) => (value ?? '').includes(pageClass(ORDER, 'status-missing')));
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
    const cancelled = wechat.payment(key, { buyQuantity: 100, outTradeNo: `e2e-a-${process.pid}` }, 'short_series_coin');
    const first = requestVirtualPayment(page, cancelled);
    const sheet = page.locator('.mp-vpay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await sheet.getAttribute('data-sheet')).toBe('wechat');
    expect(await sheet.locator('.mp-pay-amount').textContent()).toBe('¥1.00');
    expect(await sheet.textContent()).toContain('100 代币');
    await shot(page, 'vpay-1-wechat-sheet');
    await sheet.locator('[data-action="cancel"]').click();
    expect(await first).toMatchObject({ fail: { errCode: -2 }, returned: undefined });
    // That order is closed: its parameters open nothing again.
    expect(await requestVirtualPayment(page, cancelled)).toMatchObject({ fail: { errCode: -15002 } });
    expect(await sheet.count()).toBe(0);

    const paid = requestVirtualPayment(page, wechat.payment(key, { buyQuantity: 100, outTradeNo: `e2e-b-${process.pid}` }, 'short_series_coin'));
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    await sheet.locator('[data-action="success"]').click();
    expect(await paid).toMatchObject({ success: { errMsg: 'requestVirtualPayment:ok' } });
    expect(((await runtime.get<{ balances: Record<string, { balance: number }> }>(`/api/inspect/xpay/users/${user}`)).balances['0'] as { balance: number }).balance).toBe(100);

    // A later wx.login replaces the key: what was signed with the old one is refused before any sheet.
    await sessionKey();
    expect(await requestVirtualPayment(page, wechat.payment(key, { buyQuantity: 100, outTradeNo: `e2e-c-${process.pid}` }, 'short_series_coin'))).toMatchObject({ fail: { errCode: -15007 } });
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
    const bought = requestVirtualPayment(page, wechat.payment(key, { buyQuantity: 100, outTradeNo: `e2e-ios-${process.pid}` }, 'short_series_coin'));
    const sheet = page.locator('.mp-vpay-sheet');
    await sheet.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await sheet.getAttribute('data-sheet')).toBe('apple');
    expect(await sheet.locator('.mp-apple-price').textContent()).toBe('¥1.00');
    expect(await sheet.textContent()).toContain('100 代币');
    await shot(page, 'vpay-2-apple-sheet');
    await sheet.locator('[data-action="success"]').click();
    expect(await bought).toMatchObject({ success: { errMsg: 'requestVirtualPayment:ok' } });
    expect((await runtime.get<{ orders: { platform: string; view: { status: number } }[] }>(`/api/inspect/xpay/users/${user}`)).orders).toEqual([expect.objectContaining({ platform: 'ios' })]);

    await page.locator('#device').selectOption('ios-old-wechat');
    await until('WeChat 8.0.67', () => wxSync(page, 'getAppBaseInfo'), (info) => (info as { version: string }).version === '8.0.67');
    const refused = await requestVirtualPayment(page, wechat.payment(key, { buyQuantity: 100, outTradeNo: `e2e-old-${process.pid}` }, 'short_series_coin'));
    expect(refused.fail?.errMsg).toBe('requestVirtualPayment:fail 客户端版本过低');
    expect(await sheet.count()).toBe(0);
  });
});

/**
 * NEEDS THE SERVER MERGE: these run the functions this round adds on the server (listTiers' payMode
 * and packs, getBalance, createTopUp, createOrder's payWith: the mini program's side is
 * miniprogram/services/cloud.ts). Until core serves PAY_MODE=virtual they fail at their first step:
 * the functions refuse the mode and the home page shows no balance.
 */
describe('virtual payment end to end on the home page (PAY_MODE=virtual: needs the server merge)', () => {
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

  /** Asks with tokens that are not there, tops up with the first pack offered in `sheet`'s look, then asks again: the answer needs no sheet. */
  async function topUpThenAsk(page: Page, question: string, sheetKind: 'wechat' | 'apple', texts: { need: RegExp; done: RegExp; paid: RegExp }, prefix: string): Promise<void> {
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
    await until('the answer page opens', async () => (await currentPages(page)).at(-1)?.route, (route) => route === ORDER);
    expect(await page.locator('.mp-vpay-sheet').count()).toBe(0);
    expect(await page.locator('.mp-pay-sheet').count()).toBe(0);
    const status = page.locator(inPage(ORDER, 'status'));
    await until('the answer completes', () => status.getAttribute('class'), (value) => (value ?? '').includes(pageClass(ORDER, 'status-completed')), 30_000);
    expect(await page.locator(inPage(ORDER, 'paid')).textContent()).toMatch(texts.paid);
    await shot(page, `${prefix}-5-answer`);
  }

  test('in Chinese on Android: the top-up sheet, WeChat Pay\'s sheet, the balance, then an answer paid with tokens', async () => {
    const user = `e2e-tokens-zh-${process.pid}`;
    const page = await openPreview(user, { device: 'android', on: virtual });
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    const before = await balanceShown(page);
    expect(before).toMatch(/^代币余额 \d+$/);
    expect(await page.locator(inPage(HOME, 'pay')).textContent()).toMatch(/^提问 · \d+ 代币$/);
    await topUpThenAsk(page, '用一句话介绍长城', 'wechat', { need: /^这个回答需要 \d+ 代币，你现在有 \d+ 个。/, done: /^充值成功，到账 \d+ 代币。$/, paid: /^消耗：\d+ 代币$/ }, 'tokens-zh');
    const orderId = orderIdFrom(page);
    const stored = (await virtual.call('getOrder', { orderId }, user)).order as { payWith: string; amountTokens: number; amountFen: number };
    expect(stored).toMatchObject({ payWith: 'tokens', amountFen: 0 });
    expect(stored.amountTokens).toBeGreaterThan(0);
  });

  test('in English on an iPhone: Apple\'s sheet takes the top-up, then an answer paid with tokens', async () => {
    const page = await openPreview(`e2e-tokens-en-${process.pid}`, { device: 'ios', on: virtual });
    await page.locator(inPage(HOME, 'tier-quick')).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.locator(inPage(HOME, 'language')).click();
    await until('English', () => balanceShown(page), (text) => text.startsWith('Tokens: '));
    await topUpThenAsk(page, 'The Great Wall in one sentence', 'apple', { need: /^This answer takes \d+ tokens and you have \d+\./, done: /^Topped up: \d+ tokens added\.$/, paid: /^Paid: \d+ tokens$/ }, 'tokens-en');
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
