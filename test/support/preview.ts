/**
 * What the Chromium tests of the browser preview share: launching Debian's chromium-headless-shell
 * through playwright-core, opening the preview as a simulated user, finding a page's elements,
 * waiting for what the pages change on their own, and screenshots to test/artifacts/preview/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { answerBlocks, nodesText } from '../../miniprogram/services/markdown';
import type { LocalRuntime } from './runtime';

// Debian's chromium-headless-shell: Blink without the desktop browser's UI, as Playwright runs headless tests.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';
export const ARTIFACTS = join(__dirname, '..', 'artifacts', 'preview');
export const STEP_TIMEOUT_MS = 15_000;

export const HOME = 'pages/index/index';
export const ORDER = 'pages/order/order';
export const HISTORY = 'pages/history/history';
export const CONVERSATION = 'pages/conversation/conversation';

/** An element of a page by its WXML id (the preview writes ids into the DOM, as WeChat's renderer does). */
export const inPage = (route: string, id: string): string => `[data-mp-page="${route}"]:not([hidden]) #${id}`;
/** WXML classes are prefixed with the page's tag, as miniprogram-simulate does: `card` → `mp-pages-index-index--card`. */
export const pageClass = (route: string, className: string): string => `mp-${route.replace(/\//g, '-')}--${className}`;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}; the preview's end-to-end test needs it. Install it with: bash scripts/ensure-test-deps.sh (as root: apt-get install -y chromium-headless-shell fonts-noto-cjk)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Copies are recorded in the page (`window.__copied`) instead of the system clipboard, so a test can read what was copied. */
function recordCopies(): void {
  const copied: string[] = [];
  (globalThis as unknown as { __copied: string[] }).__copied = copied;
  Object.defineProperty((globalThis as unknown as { navigator: object }).navigator, 'clipboard', { configurable: true, value: { writeText: async (text: string) => void copied.push(text) } });
}

export interface PreviewOptions {
  /** The panel's simulated phone (`?device=`: android, iphone, iphone-old-wechat, iphone-ios14). */
  device?: string;
  viewport?: { width: number; height: number };
}

/** Opens the preview as `openid` in a fresh browser context (closed by the caller through `contexts`). */
export async function openPreview(browser: Browser, runtime: LocalRuntime, contexts: BrowserContext[], openid: string, options: PreviewOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 820, height: 720 }, locale: 'zh-CN' });
  contexts.push(context);
  await context.addInitScript(recordCopies);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${runtime.url}/?openid=${openid}${options.device ? `&device=${options.device}` : ''}`);
  await page.waitForSelector('body[data-preview-ready]', { timeout: STEP_TIMEOUT_MS });
  expect(problems).toEqual([]);
  expect(await page.locator('#errors li').count()).toBe(0);
  return page;
}

/** What the page copied, oldest first. */
export function copiedTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(globalThis as unknown as { __copied: string[] }).__copied]);
}

/** Reads `read()` until `ok` accepts it (bounded in time), for what the page changes on its own. */
export async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

/** Clicks once the element has stopped moving (a page may still be scrolling smoothly, e.g. after wx.pageScrollTo). */
export async function clickWhenStill(element: Locator): Promise<void> {
  await element.scrollIntoViewIfNeeded();
  let last = JSON.stringify(await element.boundingBox());
  await until('the element to stop moving', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = JSON.stringify(await element.boundingBox());
    const still = now === last;
    last = now;
    return still;
  }, (still) => still);
  await element.click();
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The text a reader sees of a Markdown answer, as the mini program renders it, without white space. */
export function renderedText(markdown: string): string {
  return answerBlocks(markdown, true)
    .map((block) => nodesText(block.nodes))
    .join('')
    .replace(/\s+/g, '');
}

/** The element is on the phone's first screen: inside the page window without scrolling. */
export async function expectInFirstScreen(page: Page, element: Locator): Promise<void> {
  const box = await element.boundingBox();
  const window = await page.locator('.mp-page:not([hidden])').boundingBox();
  const scrollTop = await page.locator('.mp-page:not([hidden])').evaluate((node) => (node as unknown as { scrollTop: number }).scrollTop);
  expect({ visible: box !== null, scrolled: scrollTop }).toEqual({ visible: true, scrolled: 0 });
  if (!box || !window) return;
  expect({ top: box.y >= window.y - 0.5, bottom: box.y + box.height <= window.y + window.height + 0.5 }).toEqual({ top: true, bottom: true });
}

/** The few browser globals the tests read inside the page (this program has no DOM typings). */
export interface BrowserGlobals {
  document: {
    querySelector(selector: string): BrowserElement | null;
    querySelectorAll(selector: string): ArrayLike<BrowserElement>;
    createRange(): { selectNodeContents(node: BrowserElement): void; getClientRects(): ArrayLike<unknown> };
    body: BrowserElement;
  };
  getComputedStyle(element: unknown): { paddingTop: string; paddingLeft: string; minHeight: string; lineHeight: string };
  MutationObserver: new (callback: () => void) => { observe(node: BrowserElement, options: Record<string, boolean>): void };
}

export interface BrowserElement {
  textContent: string | null;
  className: string;
  scrollWidth: number;
  clientWidth: number;
  getBoundingClientRect(): { top: number; bottom: number; height: number; width: number };
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
}

/** What the preview exposes to the pages, reached from the test as a page's code reaches it. */
interface PreviewGlobals {
  wx: Record<string, (options?: unknown) => Promise<unknown>>;
  getCurrentPages(): { route: string; options: Record<string, string> }[];
}

/** Calls `wx[api](options)` in the preview the way page code does (promise style), resolving to its answer or its `{ errMsg }`. */
export function callWx(page: Page, api: string, options: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return page.evaluate(
    ([name, argument]) => {
      const globals = globalThis as unknown as PreviewGlobals;
      return (globals.wx[name as string] as (options: unknown) => Promise<Record<string, unknown>>)(argument).catch((error: Record<string, unknown>) => ({ failed: error }));
    },
    [api, options] as const,
  );
}

export function currentPages(page: Page): Promise<{ route: string; options: Record<string, string> }[]> {
  return page.evaluate(() => (globalThis as unknown as PreviewGlobals).getCurrentPages().map(({ route, options }) => ({ route, options })));
}

/** Sets a storage key of the simulated user as the pages would (e.g. `locale`). */
export function setStorage(page: Page, key: string, value: unknown): Promise<void> {
  return page.evaluate(([name, data]) => void (globalThis as unknown as { wx: { setStorageSync(key: string, value: unknown): void } }).wx.setStorageSync(name as string, data), [key, value] as const);
}

export function orderIdFrom(page: Page): string {
  const match = /orderId=([A-Za-z0-9_-]+)/.exec(new URL(page.url()).hash);
  if (!match) throw new Error(`no order in the preview's address: ${page.url()}`);
  return match[1] as string;
}
