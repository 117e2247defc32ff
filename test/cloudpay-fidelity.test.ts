import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from './support/runtime';
import { inspectOrder, waitForInspection } from './support/wechatpayV3';

// Cloud pay through the real wx-server-sdk: the simulator answers in WeChat Pay's own v2 fields
// and in cloud pay's refund lists (refund_status_list, err_code, err_code_des, …), the SDK converts
// them and overwrites errCode with 0, and the product must still read what it needs from what
// survives. Info logs are on: the product logs the (redacted) shape of the first refund answer
// and callback each function instance sees, which shows what the real SDK made of them.
let runtime: LocalRuntime;
let counter = 0;
const newUser = () => `cloudpay-user-${process.pid}-${++counter}`;

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ ORDER_TTL_SECONDS: '2', RECONCILE_NOTIFICATION_GRACE_SECONDS: '0', RATE_LIMIT_PER_MINUTE: '1000', QUIET_LOGS: '0' });
});
afterAll(async () => {
  await runtime?.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

async function newOrder(user: string, data: Record<string, unknown> = {}) {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'What is pu-erh?', ...data }, user);
  expect(created.ok).toBe(true);
  return created.order as { orderId: string; outTradeNo: string; amountFen: number };
}

/** The product's log lines of one event, parsed (each function instance writes its own). */
function logLines(event: string): Record<string, unknown>[] {
  return runtime.output
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
}

/** WeChat Pay's side of a trade changed while the runtime is down (a line appended to its NeDB ledger). */
async function editLedger(outTradeNo: string, change: (trade: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const { trade } = await inspectOrder(runtime.url, outTradeNo);
  await runtime.stop();
  appendFileSync(join(runtime.dataDir, 'platform', 'paysim_trades.db'), `${JSON.stringify(change(trade as Record<string, unknown>))}\n`);
  await runtime.restart();
}

describe('cloud pay as the real SDK returns it', () => {
  test('a failed answer is refunded through cloud pay, ends refunded, and its subscribe message is sent', async () => {
    await runtime.faults({ llm: { error: 1, errorStatus: 503 } });
    const user = newUser();
    const order = await newOrder(user, { subscribe: true });
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    const done = await runtime.waitForOrder(order.orderId, (o) => o.status === 'refunded', user);
    expect(done.refundedAt).toEqual(expect.any(Number));
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.refunds).toEqual([expect.objectContaining({ state: 'SUCCESS', refundFen: order.amountFen, callbackFunction: 'refundCallback' })]);
    expect(await runtime.messageRecipients(order.orderId)).toEqual([user]);
    // What the real SDK made of the simulator's refund answer: camelCase lists, and the errCode it adds.
    await runtime.untilOutputShows('"event":"cloudpay_refund_query_shape"');
    const [query] = logLines('cloudpay_refund_query_shape');
    expect(query).toMatchObject({ outcome: 'state', shape: { refundStatusList: [expect.stringMatching(/^(PROCESSING|SUCCESS)$/), '1 items'], outRefundNoList: ['string(33)', '1 items'], refundCount: 1, errCode: 0 } });
    expect(Object.keys(query?.shape as object).filter((key) => key.includes('_'))).toEqual([]);
    // The refund's result reached the function the refund named, as plain camelCase fields.
    await runtime.untilOutputShows('"event":"cloudpay_refund_callback_shape"');
    const [callback] = logLines('cloudpay_refund_callback_shape');
    expect(callback).toMatchObject({ shape: { returnCode: 'SUCCESS', outRefundNo: 'string(33)', outTradeNo: 'string(32)', refundStatus: 'SUCCESS' } });
  });

  test('a queryRefund answered with empty lists is looked at again, never taken as a refund under way or missing, on the callback\'s word neither', async () => {
    await runtime.faults({ llm: { error: 1, errorStatus: 503 }, pay: { refundQueryEmpty: 1 } });
    const user = newUser();
    const order = await newOrder(user);
    const outRefundNo = `R${order.outTradeNo}`;
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    // The refund is paid out and its callback (refundStatus SUCCESS) handled: the callback asked queryRefund, which could not say.
    await waitForInspection(runtime.url, order.outTradeNo, (v) => v.refunds.some((r) => r.state === 'SUCCESS'));
    const unreadable = () => logLines('cloudpay_refund_status_unreadable').filter((line) => line.outRefundNo === outRefundNo).length;
    for (const deadline = Date.now() + 10_000; unreadable() < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unreadable()).toBeGreaterThanOrEqual(2);
    const report = await runtime.trigger('reconcile');
    expect(report.refundsChecked).toBeGreaterThanOrEqual(1);
    const stuck = await inspectOrder(runtime.url, order.outTradeNo);
    expect(stuck.order.status).toBe('refunding');
    expect(stuck.events.map((e) => e.type)).not.toContain('refund_requested_again');
    // WeChat's lists come back: the next run confirms it, once, with the one refund.
    await runtime.faults({ pay: { refundQueryEmpty: 0 } });
    await runtime.trigger('reconcile');
    const done = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.order.status === 'refunded');
    expect(done.events.filter((e) => e.type === 'refund_confirmed')).toEqual([expect.objectContaining({ detail: { source: 'query_refund' } })]);
    expect(done.refunds).toEqual([expect.objectContaining({ state: 'SUCCESS', requests: 1 })]);
  });

  test('a refund that never reached WeChat Pay (REFUNDNOTEXIST) is requested again by reconcile', async () => {
    await runtime.faults({ llm: { error: 1, errorStatus: 503 }, pay: { refundLost: 1 } });
    const user = newUser();
    const order = await newOrder(user);
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    const stuck = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.order.status === 'refunding' && (v.order as { refund?: { status?: string } }).refund?.status === 'requested');
    expect(stuck.refunds).toEqual([]);
    await runtime.faults({ pay: { refundLost: 0 } });
    const report = await runtime.trigger('reconcile');
    expect(report.refundsRequested).toBe(1);
    const view = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.order.status === 'refunded');
    expect(view.refunds).toEqual([expect.objectContaining({ state: 'SUCCESS', refundFen: order.amountFen, requests: 1 })]);
    expect(view.events.map((e) => e.type)).toContain('refund_requested_again');
  });

  test('an expired order WeChat Pay has no record of (ORDERNOTEXIST) is closed by reconcile', async () => {
    const user = newUser();
    const order = await newOrder(user);
    await editLedger(order.outTradeNo, (trade) => ({ $$deleted: true, _id: trade._id }));
    expect((await inspectOrder(runtime.url, order.outTradeNo)).trade).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await runtime.trigger('reconcile');
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order).toMatchObject({ status: 'closed', providerClosed: true });
  });

  test('cancelling an order WeChat Pay has already closed (ORDERCLOSED) counts as closed there', async () => {
    const user = newUser();
    const order = await newOrder(user);
    await editLedger(order.outTradeNo, (trade) => ({ ...trade, state: 'CLOSED' }));
    const cancelled = await runtime.call('cancelOrder', { orderId: order.orderId }, user);
    expect(cancelled.ok).toBe(true);
    const view = await waitForInspection(runtime.url, order.outTradeNo, (v) => (v.order as { providerClosed?: boolean }).providerClosed === true, 5_000);
    expect(view.order.status).toBe('closed');
    expect(view.trade).toMatchObject({ state: 'CLOSED' });
  });
});
