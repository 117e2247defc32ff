import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from './support/runtime';
import { inspectOrder, waitForInspection } from './support/wechatpayV3';

// Cloud pay through the real wx-server-sdk: the simulator answers in WeChat Pay's own v2 fields
// (refund_status_0, err_code, err_code_des, …), the SDK converts them and overwrites errCode with 0,
// and the product must still read what it needs from what survives.
let runtime: LocalRuntime;
let counter = 0;
const newUser = () => `cloudpay-user-${process.pid}-${++counter}`;

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ ORDER_TTL_SECONDS: '2', RECONCILE_NOTIFICATION_GRACE_SECONDS: '0', RATE_LIMIT_PER_MINUTE: '1000' });
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
    expect(view.refunds).toEqual([expect.objectContaining({ state: 'SUCCESS', refundFen: order.amountFen })]);
    expect(await runtime.messageRecipients(order.orderId)).toEqual([user]);
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
