/** @jest-environment jsdom */
/**
 * The real pages against the real local runtime: the client module in local mode (chosen by the
 * app flag the browser preview sets) speaks the runtime's HTTP contract through `wx.request`, the
 * payment sheet is the runtime's WeChat Pay simulator, and the order page follows a real
 * generation from the local model server.
 */
import { request } from 'node:http';
import { Buffer } from 'node:buffer';
import { answerModals, answerNodes, answerText, closePages, elementNames, input, openPage, settle, tap, textOf, until, visibleText, wxGlobal } from './harness';
import { LocalRuntime } from '../support/runtime';
import { answerBlocks, nodesText } from '../../miniprogram/services/markdown';

type RequestOptions = { url: string; method?: string; data?: unknown; success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void };
type PaymentOptions = { package: string; success?: (result: unknown) => void; fail?: (error: { errMsg: string }) => void };

const wxApi = wxGlobal();
let runtime: LocalRuntime;
/** What the user does on the next payment sheet. */
let sheetAction: 'success' | 'cancel' = 'success';
const outTradeNoByPackage = new Map<string, string>();
const navigations: string[] = [];

function post(url: string, body: unknown): Promise<{ statusCode: number; data: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const target = new URL(url);
    const call = request(
      { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ statusCode: response.statusCode ?? 0, data: text ? JSON.parse(text) : undefined });
        });
      },
    );
    call.on('error', reject);
    call.end(payload);
  });
}

/** Remembers which trade each payment package belongs to, as WeChat's own sheet knows. */
function notePayments(data: unknown): void {
  type WithPayment = { payment?: { package?: string }; order?: { outTradeNo?: string } };
  const result = (data as { result?: WithPayment & { error?: WithPayment } } | undefined)?.result;
  const found = [result, result?.error].filter((item): item is WithPayment => item !== undefined);
  for (const item of found) {
    if (item.payment?.package && item.order?.outTradeNo) outTradeNoByPackage.set(item.payment.package, item.order.outTradeNo);
  }
}

beforeAll(async () => {
  // wx.requestPayment's path (PAY_MODE=simulator): these pages pay each answer with money, as before virtual payment.
  runtime = await LocalRuntime.start({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '100', PAY_MODE: 'simulator' });
  (globalThis as unknown as { getApp: () => unknown }).getApp = () => ({ globalData: { localRuntimeUrl: runtime.url } });
  wxApi.request = ((options: RequestOptions) => {
    post(options.url, options.data).then(
      (response) => {
        notePayments(response.data);
        options.success?.({ ...response, header: {}, cookies: [], errMsg: 'request:ok' });
      },
      (error: Error) => options.fail?.({ errMsg: `request:fail ${error.message}` }),
    );
  }) as unknown as typeof wx.request;
  wxApi.requestPayment = ((options: PaymentOptions) => {
    const outTradeNo = outTradeNoByPackage.get(options.package);
    if (!outTradeNo) throw new Error(`no trade for ${options.package}`);
    post(`${runtime.url}/api/pay/simulate`, { outTradeNo, outcome: sheetAction }).then(
      () => {
        if (sheetAction === 'success') options.success?.({ errMsg: 'requestPayment:ok' });
        else options.fail?.({ errMsg: 'requestPayment:fail cancel' });
      },
      (error: Error) => options.fail?.({ errMsg: `requestPayment:fail ${error.message}` }),
    );
  }) as unknown as typeof wx.requestPayment;
  wxApi.navigateTo = ((options: { url: string }) => {
    navigations.push(options.url);
  }) as unknown as typeof wx.navigateTo;
});

afterAll(async () => {
  closePages();
  await runtime.stop();
});

function query(url: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? ''));
}

describe('pages on the local runtime', () => {
  test('ask, pay, and read the answer as it is written, then find it in the history', async () => {
    const home = openPage('pages/index/index');
    await until(() => visibleText(home).includes('¥4.99'), 'tiers from the runtime', 1_000);
    expect(visibleText(home)).toContain('快速回答');
    input(home, '#prompt', 'Write a haiku about tea');
    await settle();
    sheetAction = 'success';
    tap(home, '#pay');
    await until(() => navigations.length === 1, 'navigation to the order page', 1_000);
    const target = navigations[0] as string;
    expect(target).toMatch(/^\/pages\/order\/order\?orderId=[^&]+&paid=1$/);

    const page = openPage('pages/order/order', query(target));
    const headlines = new Set<string>();
    const outputs = new Set<string>();
    await until(() => {
      headlines.add(textOf(page, '#headline') ?? '');
      outputs.add(answerText(page));
      return textOf(page, '#headline') === '已完成' && !answerText(page).endsWith(' ') && outputs.size > 1;
    }, 'the completed answer', 6_000);
    // What the runtime stored, rendered the way the page renders a finished answer.
    const stored = ((await post(`${runtime.url}/api/functions/getOrder`, { data: { orderId: query(target).orderId } })).data as { result: { order: { output: string } } }).result.order.output;
    const expected = answerBlocks(stored, true).map((block) => nodesText(block.nodes)).join('\n');
    await until(() => answerText(page) === expected, 'the whole answer shown', 2_000);
    // The local model answers in Markdown: its opening is a heading, the rest a paragraph and a list.
    expect(answerText(page)).toMatch(/^About "Write a haiku about tea"/);
    expect(answerNodes(page).flatMap((nodes) => elementNames(nodes))).toEqual(expect.arrayContaining(['h2', 'p']));
    expect([...headlines].some((text) => text === '正在确认支付…' || text.startsWith('正在生成…'))).toBe(true);
    expect(textOf(page, '#meta')).toContain('¥0.50');

    const history = openPage('pages/history/history');
    tap(history, '#tab-orders');
    await until(() => history.instance.data.tab === 'orders' && history.instance.data.loadedOnce, 'the orders in history', 1_000);
    expect(history.instance.data.orders[0]).toMatchObject({ orderId: query(target).orderId, statusText: '已完成', paidText: '¥0.50' });
  });

  test('a cancelled payment leaves a payable order that can be cancelled; the runtime closes it', async () => {
    const home = openPage('pages/index/index');
    await until(() => visibleText(home).includes('¥4.99'), 'tiers from the runtime', 1_000);
    input(home, '#prompt', 'Another question');
    await settle();
    sheetAction = 'cancel';
    tap(home, '#pay');
    await until(() => home.querySelector('#notice') !== undefined && !home.instance.data.busy, 'the cancelled payment explained', 1_000);
    expect(textOf(home, '#notice')).toContain('你取消了支付');
    // The order waiting for payment shows the question as the runtime stored it.
    expect(textOf(home, '#pending-question')).toBe('Another question');
    answerModals(true);
    tap(home, '#cancel-order');
    await until(() => home.querySelector('#pay') !== undefined, 'cancelled: a fresh pay button', 1_000);
    expect(home.querySelector('#notice')).toBeUndefined();

    const history = openPage('pages/history/history');
    tap(history, '#tab-orders');
    await until(() => history.instance.data.tab === 'orders' && history.instance.data.loadedOnce, 'the orders in history', 1_000);
    expect(history.instance.data.orders[0]).toMatchObject({ status: 'closed', statusText: '订单已关闭，未扣款' });
  });
});
