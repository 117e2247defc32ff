/**
 * Loads the real mini program pages into miniprogram-simulate (jsdom). The page .ts files are
 * required through jest's own ts-jest transform (simulate `require`s `pages/x/x`, which resolves to
 * the .ts), so there is no compiled copy to keep in sync. Jest caches modules and ignores
 * simulate's `delete require.cache[...]`, so each page is loaded once per test file and rendered
 * afresh for every test.
 */
import { join, resolve } from 'node:path';
import simulate, { type RootComponent } from 'miniprogram-simulate';
import { setCloudApi, type CloudApi } from '../../miniprogram/services/cloud';
import { nodesText, type AnswerBlock, type RichTextNode } from '../../miniprogram/services/markdown';
import { setPollTimers } from '../../miniprogram/services/poller';
import { setRevealPace } from '../../miniprogram/services/textFlow';
import { setBalancePollSchedule } from '../../miniprogram/services/balance';
import type {
  ClientOrder,
  ClientPayment,
  CancelOrderInput,
  DeleteConversationInput,
  GetConversationInput,
  GetConversationResult,
  ListConversationsInput,
  ListConversationsResult,
  ReportAnswerInput,
  ReportAnswerResult,
  CreateOrderInput,
  CreateTopUpInput,
  GetBalanceInput,
  GetOrderInput,
  ListOrdersInput,
  Outcome,
  Pack,
  PayMode,
  RequestPaymentParams,
  SupportInfo,
  TopUp,
  VirtualPaymentParams,
} from '../../miniprogram/services/types';

export const MINIPROGRAM_ROOT = resolve(__dirname, '..', '..', 'miniprogram');

const loaded = new Map<string, string>();
const open: PageComponent[] = [];

/** A rendered page as simulate returns it; its data and methods are the page's own (untyped at this boundary). */
export type PageComponent = RootComponent<WechatMiniprogram.IAnyObject, WechatMiniprogram.Component.PropertyOption, WechatMiniprogram.Component.MethodOption> & {
  triggerPageLifeTime(lifetime: 'show' | 'hide' | 'resize'): void;
};

/**
 * Components several pages use, loaded once per test file: jest runs a module's `Component()` only
 * the first time it is required, so simulate could not register the same component for a second page.
 */
let shared: Record<string, string> | null = null;
function sharedComponents(): Record<string, string> {
  if (!shared) {
    shared = {
      'privacy-sheet': simulate.load(join(MINIPROGRAM_ROOT, 'components/privacy-sheet/privacy-sheet'), 'privacy-sheet', { compiler: 'simulate', rootPath: MINIPROGRAM_ROOT }),
      'report-sheet': simulate.load(join(MINIPROGRAM_ROOT, 'components/report-sheet/report-sheet'), 'report-sheet', { compiler: 'simulate', rootPath: MINIPROGRAM_ROOT }),
    };
  }
  return shared;
}

/** Renders a page (e.g. 'pages/order/order') with its query as properties and attaches it, as WeChat opens it. */
export function openPage(page: string, query: Record<string, string> = {}): PageComponent {
  let id = loaded.get(page);
  if (!id) {
    id = simulate.load(join(MINIPROGRAM_ROOT, page), { compiler: 'simulate', rootPath: MINIPROGRAM_ROOT, usingComponents: sharedComponents() });
    loaded.set(page, id);
  }
  const component = simulate.render(id, query) as PageComponent;
  component.attach(document.createElement('parent-wrapper'));
  open.push(component);
  return component;
}

/** Closes every page a test opened (their `detached` lifetimes run, as when WeChat unloads them). */
export function closePages(): void {
  for (const component of open.splice(0)) component.detach();
}

/** The text a user would read on the page, whitespace collapsed. */
export function visibleText(component: PageComponent): string {
  return (component.dom?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** A WXML attribute as the template bound it (built-in components render no DOM attributes in simulate). */
export function attribute(component: PageComponent, selector: string, name: string): unknown {
  const target = component.querySelector(selector);
  if (!target) throw new Error(`nothing matches ${selector}`);
  return target.toJSON().attrs.find((attr) => attr.name === name)?.value;
}

/** The text of one element, or undefined when it is not rendered. */
export function textOf(component: PageComponent, selector: string): string | undefined {
  return component.querySelector(selector)?.dom?.textContent?.replace(/\s+/g, ' ').trim();
}

export function tap(component: PageComponent, selector: string): void {
  const target = component.querySelector(selector);
  if (!target) throw new Error(`nothing matches ${selector}`);
  target.dispatchEvent('tap');
}

export function input(component: PageComponent, selector: string, value: string): void {
  const target = component.querySelector(selector);
  if (!target) throw new Error(`nothing matches ${selector}`);
  target.dispatchEvent('input', { detail: { value } });
}

/** Lets promises, simulate's microtask events and zero-delay timers run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await simulate.sleep(0);
}

/** Waits (bounded) until `check` holds, letting the page's own timers run. */
export async function until(check: () => boolean, what: string, rounds = 600): Promise<void> {
  for (let i = 0; i < rounds; i += 1) {
    if (check()) return;
    await simulate.sleep(5);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

type Handler<I, R extends object> = (input: I) => Promise<Outcome<R>> | Outcome<R>;

export interface FakeHandlers {
  /** A server from before virtual payment answers without `packs` and `payMode`. */
  listTiers?: Handler<Record<string, never>, { tiers: unknown[]; subscribeTemplateId: string | null; packs?: Pack[]; payMode?: PayMode; support?: SupportInfo }>;
  createOrder?: Handler<CreateOrderInput, { order: ClientOrder; payment?: ClientPayment }>;
  getOrder?: Handler<GetOrderInput, { order: ClientOrder; payment?: ClientPayment }>;
  listOrders?: Handler<ListOrdersInput, { orders: ClientOrder[]; nextCursor: string | null }>;
  cancelOrder?: Handler<CancelOrderInput, { order: ClientOrder }>;
  getBalance?: Handler<GetBalanceInput, { balance: number }>;
  createTopUp?: Handler<CreateTopUpInput, { topUp: TopUp }>;
  listConversations?: Handler<ListConversationsInput, ListConversationsResult>;
  getConversation?: Handler<GetConversationInput, GetConversationResult>;
  deleteConversation?: Handler<DeleteConversationInput, Record<never, never>>;
  reportAnswer?: Handler<ReportAnswerInput, ReportAnswerResult>;
}

export interface RecordedCall {
  name: keyof FakeHandlers;
  input: unknown;
}

/**
 * A scripted cloud client injected through the client module's own injection point. It records
 * every call and how many were in flight at once.
 */
export class FakeCloud {
  calls: RecordedCall[] = [];
  private inFlight = new Map<keyof FakeHandlers, number>();
  private mostInFlight = new Map<keyof FakeHandlers, number>();

  constructor(public handlers: FakeHandlers) {}

  install(): this {
    const invoke = async <I, R extends object>(name: keyof FakeHandlers, payload: I): Promise<Outcome<R>> => {
      this.calls.push({ name, input: payload });
      const handler = this.handlers[name] as Handler<I, R> | undefined;
      if (!handler) throw new Error(`the page called ${name}, which this test did not expect`);
      const now = (this.inFlight.get(name) ?? 0) + 1;
      this.inFlight.set(name, now);
      this.mostInFlight.set(name, Math.max(this.mostInFlight.get(name) ?? 0, now));
      try {
        return await handler(payload);
      } finally {
        this.inFlight.set(name, (this.inFlight.get(name) ?? 1) - 1);
      }
    };
    const api: CloudApi = {
      listTiers: () => invoke('listTiers', {}) as ReturnType<CloudApi['listTiers']>,
      createOrder: (payload) => invoke('createOrder', payload),
      getOrder: (payload) => invoke('getOrder', payload),
      listOrders: (payload) => invoke('listOrders', payload),
      cancelOrder: (payload) => invoke('cancelOrder', payload),
      getBalance: (payload) => invoke('getBalance', payload),
      createTopUp: (payload) => invoke('createTopUp', payload),
      listConversations: (payload) => invoke('listConversations', payload),
      getConversation: (payload) => invoke('getConversation', payload),
      deleteConversation: (payload) => invoke('deleteConversation', payload),
      reportAnswer: (payload) => invoke('reportAnswer', payload),
    };
    setCloudApi(api);
    return this;
  }

  callsTo(name: keyof FakeHandlers): unknown[] {
    return this.calls.filter((call) => call.name === name).map((call) => call.input);
  }

  /** The most calls to `name` that were ever in flight at the same time. */
  maxInFlight(name: keyof FakeHandlers): number {
    return this.mostInFlight.get(name) ?? 0;
  }
}

export const PAYMENT: RequestPaymentParams = {
  timeStamp: '1764064800',
  nonceStr: 'n0nce5tr',
  package: 'prepay_id=wx20261125PREPAY',
  signType: 'MD5',
  paySign: 'SIGNATURE',
};

export const TIERS = [
  {
    id: 'quick',
    title: { zh: '快速回答', en: 'Quick answer' },
    summary: { zh: '几秒内给出简洁回答', en: 'A concise answer in seconds' },
    priceFen: 50,
    priceTokens: 5,
    description: 'AI快速回答',
    modelFamily: 'Qwen / DeepSeek',
    promptLimit: 20,
    longRunning: false,
  },
  {
    id: 'expert',
    title: { zh: '专家长文', en: 'Expert long-form' },
    summary: { zh: '详尽的长篇回答', en: 'A thorough long answer' },
    priceFen: 499,
    priceTokens: 50,
    description: 'AI专家长文回答',
    modelFamily: 'GPT-4o / Claude',
    promptLimit: 200,
    longRunning: true,
  },
];

export function order(patch: Partial<ClientOrder> = {}): ClientOrder {
  return {
    orderId: 'ord_1',
    outTradeNo: 'T20261125000000000000000000000001',
    status: 'pending_payment',
    tier: 'quick',
    payWith: 'purchase',
    amountFen: 50,
    prompt: '第一个问题：猫',
    output: '',
    conversationId: 'cConversation000000000001',
    outputComplete: false,
    rev: 1,
    createdAt: Date.UTC(2026, 10, 25, 11, 0),
    expiresAt: Date.UTC(2026, 10, 25, 11, 30),
    subscribed: false,
    ...patch,
  };
}

/** simulate's global `wx`, whose APIs tests replace with jest mocks. */
export function wxGlobal(): Record<string, unknown> & typeof wx {
  return (globalThis as unknown as { wx: Record<string, unknown> & typeof wx }).wx;
}

/**
 * Storage that keeps what is written, per test file (simulate's setStorageSync keeps nothing): a
 * page opened again, as after a reload, finds what the last one stored. `clearStorage()` empties it.
 */
const stored = new Map<string, unknown>();
export function clearStorage(): void {
  stored.clear();
}
function installStorage(): void {
  const api = wxGlobal();
  const copy = (value: unknown) => (value === undefined ? '' : (JSON.parse(JSON.stringify(value)) as unknown));
  api.setStorageSync = ((key: string, value: unknown) => void stored.set(key, copy(value))) as typeof wx.setStorageSync;
  api.getStorageSync = ((key: string) => (stored.has(key) ? copy(stored.get(key)) : '')) as typeof wx.getStorageSync;
  api.removeStorageSync = ((key: string) => void stored.delete(key)) as typeof wx.removeStorageSync;
  api.clearStorageSync = (() => stored.clear()) as typeof wx.clearStorageSync;
}

/** A phone as getDeviceInfo / getAppBaseInfo report it. */
export interface FakeDevice {
  platform: 'ios' | 'android' | 'ohos' | 'windows' | 'mac' | 'devtools';
  system: string;
  version: string;
}

export const ANDROID: FakeDevice = { platform: 'android', system: 'Android 14', version: '8.0.68' };
export const IOS: FakeDevice = { platform: 'ios', system: 'iOS 17.5.1', version: '8.0.68' };
/** An iPhone whose WeChat is older than 8.0.68: virtual payment cannot reach Apple there. */
export const IOS_OLD_WECHAT: FakeDevice = { platform: 'ios', system: 'iOS 17.5.1', version: '8.0.67' };
export const IOS_14: FakeDevice = { platform: 'ios', system: 'iOS 14.8', version: '8.0.70' };

/** Makes wx.getDeviceInfo and wx.getAppBaseInfo describe `device` (simulate's default is an iOS 10 phone). */
export function useDevice(device: FakeDevice): void {
  const api = wxGlobal();
  api.getDeviceInfo = (() => ({ abi: '', deviceAbi: '', benchmarkLevel: 1, brand: 'test', model: 'test phone', system: device.system, platform: device.platform, cpuType: '', memorySize: '' })) as unknown as typeof wx.getDeviceInfo;
  api.getAppBaseInfo = (() => ({ SDKVersion: '3.7.1', enableDebug: false, host: { env: 'WeChat' }, language: 'zh_CN', version: device.version, theme: 'light' })) as unknown as typeof wx.getAppBaseInfo;
}

installStorage();
useDevice(ANDROID);
// Every test starts on a fresh phone: nothing stored, an Android device.
beforeEach(() => {
  clearStorage();
  useDevice(ANDROID);
});
// The balance after a top-up is read without pauses in tests (same reads, same order).
setBalancePollSchedule([0, 0, 0]);

/** wx.login that hands out codes in turn: code-1, code-2, … Returns the mock. */
export function loginCodes(): jest.Mock {
  let issued = 0;
  const mock = jest.fn((options: { success?: (answer: { code: string; errMsg: string }) => void }) => {
    issued += 1;
    const code = `code-${issued}`;
    setTimeout(() => options.success?.({ code, errMsg: 'login:ok' }), 0);
  });
  wxGlobal().login = mock as unknown as typeof wx.login;
  return mock;
}

/** What a virtual payment sheet answers: paid, or a fail code as WeChat reports it. */
export type SheetAnswer = 'paid' | number;

/**
 * wx.requestVirtualPayment answering as the user and WeChat do, in turn (the last answer repeats);
 * each call's parameters are recorded. Fail codes come as `{ errCode, errMsg }`.
 */
export function virtualPaymentSheet(...answers: SheetAnswer[]): { mock: jest.Mock; opened: VirtualPaymentParams[] } {
  const opened: VirtualPaymentParams[] = [];
  const mock = jest.fn((options: VirtualPaymentParams & { success?: (result: { errMsg: string }) => void; fail?: (error: { errCode: number; errMsg: string }) => void }) => {
    opened.push({ signData: options.signData, mode: options.mode, paySig: options.paySig, signature: options.signature });
    const answer = (answers.length > 1 ? answers.shift() : answers[0]) ?? -2;
    setTimeout(() => {
      if (answer === 'paid') options.success?.({ errMsg: 'requestVirtualPayment:ok' });
      else options.fail?.({ errCode: answer, errMsg: answer === -2 ? 'requestVirtualPayment:fail cancel' : `requestVirtualPayment:fail ${answer}` });
    }, 0);
    return undefined;
  });
  wxGlobal().requestVirtualPayment = mock as unknown as typeof wx.requestVirtualPayment;
  return { mock, opened };
}

/** Virtual payment parameters as a server issues them, distinct per outTradeNo. */
export function virtualParams(outTradeNo: string, mode: VirtualPaymentParams['mode'] = 'short_series_goods'): VirtualPaymentParams {
  const fields = mode === 'short_series_coin' ? { buyQuantity: 100 } : { buyQuantity: 1, productId: 'quick', goodsPrice: 50 };
  const signData = JSON.stringify({ offerId: '1450019686', ...fields, env: 0, currencyType: 'CNY', outTradeNo, attach: '' });
  return { signData, mode, paySig: `paysig-${outTradeNo}`, signature: `signature-${outTradeNo}` };
}

/** Makes every wx.showModal answer as the user would: confirm or not. Returns the mock. */
export function answerModals(confirm: boolean): jest.Mock {
  const mock = jest.fn((options: { success?: (answer: { confirm: boolean; cancel: boolean; errMsg: string }) => void }) => {
    setTimeout(() => options.success?.({ confirm, cancel: !confirm, errMsg: 'showModal:ok' }), 0);
  });
  wxGlobal().showModal = mock as unknown as typeof wx.showModal;
  return mock;
}

export function resetCloud(): void {
  setCloudApi(null);
}

/** The answer as the reader sees it: the text of every rendered Markdown block, blocks joined by newlines. */
export function answerText(component: PageComponent): string {
  const blocks = (component.instance.data.blocks ?? []) as AnswerBlock[];
  return blocks.map((block) => nodesText(block.nodes)).join('\n');
}

/** The rich-text nodes the order page hands WeChat, one list per block. */
export function answerNodes(component: PageComponent): RichTextNode[][] {
  return ((component.instance.data.blocks ?? []) as AnswerBlock[]).map((block) => block.nodes);
}

/** Every element name used in some nodes, depth first. */
export function elementNames(nodes: readonly RichTextNode[]): string[] {
  return nodes.flatMap((node) => ('type' in node ? [] : [node.name, ...elementNames(node.children ?? [])]));
}

/**
 * The order page smooths each new piece of text in over 300 ms; tests run that on a fast clock
 * (same code, shorter intervals) so that they wait milliseconds, not seconds.
 */
export function fastReveal(): void {
  setRevealPace({ tickMs: 5, smoothMs: 15 });
}

export function normalReveal(): void {
  setRevealPace({});
}

/** How much faster than the page's own timers the polling clock runs in `fastPolling()`. */
export const POLL_SPEED_UP = 20;

/**
 * Runs the order page's polling (its back-off and call spacing) on a clock POLL_SPEED_UP times
 * faster, and records every pause the page asked for, as it asked for it (in the page's own ms),
 * so a test can check the policy itself rather than wait out its seconds.
 */
export function fastPolling(): number[] {
  const pauses: number[] = [];
  setPollTimers({
    set: (callback, ms) => {
      pauses.push(ms);
      return setTimeout(callback, ms / POLL_SPEED_UP);
    },
    clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  });
  return pauses;
}

export function normalPolling(): void {
  setPollTimers(null);
}
