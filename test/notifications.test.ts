import { LocalRuntime } from './support/runtime';
import { orderEvents, readCollection, storedOrder } from './support/store';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Two runtimes, each shared by its tests (a boot costs seconds): one where notifications get ten
// minutes before the page or a new order asks WeChat Pay itself, one where they get none. Each test
// has its own users and resets the faults it sets.
let runtime: LocalRuntime;

/** Starts the describe block's runtime before its tests and stops it after them; faults reset before each. */
function runtimeForThisBlock(env: Record<string, string>): void {
  beforeAll(async () => {
    runtime = await LocalRuntime.quick(env);
  });
  beforeEach(async () => {
    await runtime.faults({ reset: true });
  });
  afterAll(async () => {
    await runtime.stop();
  });
}

async function order(user: string) {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Explain green tea' }, user);
  expect(created.ok).toBe(true);
  return created.order as { orderId: string; outTradeNo: string };
}

describe('payment notifications', () => {
  // Reconcile leaves pending orders alone for ten minutes here, however slow the run: the last test
  // lowers that by a restart, once the orders before it (one of them paid, unnotified) are in place.
  runtimeForThisBlock({ PAYMENT_GRACE_SECONDS: '600', RECONCILE_NOTIFICATION_GRACE_SECONDS: '600' });

  test('a notification delivered several times (some at once) starts one generation', async () => {
    type Stats = { model: { requests: number }; byFunction: Record<string, number> };
    const before = await runtime.get<Stats>('/api/stats');
    await runtime.faults({ pay: { duplicate: 1, delayMs: [0, 40] } });
    const { orderId, outTradeNo } = await order('twice-notified');
    await runtime.pay(outTradeNo);
    const done = await runtime.waitForOrder(orderId, (o) => o.status === 'completed', 'twice-notified');
    expect(done.outputComplete).toBe(true);
    await sleep(300); // let the late copies land too
    const events = await orderEvents(runtime.dataDir, orderId);
    expect(events.filter((e) => e.type === 'payment_confirmed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'generation_started')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'generation_completed')).toHaveLength(1);
    const after = await runtime.get<Stats>('/api/stats');
    expect((after.byFunction.payCallback ?? 0) - (before.byFunction.payCallback ?? 0)).toBeGreaterThanOrEqual(2);
    expect(after.model.requests - before.model.requests).toBe(1);
  });

  test('a callback whose amount differs from the order does not mark it paid', async () => {
    const { orderId, outTradeNo } = await order('underpaid');
    // The user really paid, but the only notification that arrives claims another amount.
    await runtime.faults({ pay: { drop: 1 } });
    await runtime.pay(outTradeNo);
    const trade = (await readCollection(runtime.dataDir, 'platform', 'paysim_trades')).find((t) => t.outTradeNo === outTradeNo);
    expect(trade?.state).toBe('SUCCESS');
    const answer = await runtime.trigger('payCallback', {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo,
      transactionId: trade?.transactionId,
      totalFee: 1,
    });
    expect(answer).toEqual({ errcode: 0, errmsg: '' });
    const stored = await storedOrder(runtime.dataDir, orderId);
    expect(stored?.status).toBe('pending_payment');
    expect((await orderEvents(runtime.dataDir, orderId)).map((e) => e.type)).toContain('amount_mismatch');
  });

  test('a forged callback for an order nobody paid changes nothing', async () => {
    const { orderId, outTradeNo } = await order('never-paid');
    const answer = await runtime.trigger('payCallback', { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo, totalFee: 50, transactionId: '4200000000000000000000000001' });
    expect(answer).toEqual({ errcode: 0, errmsg: '' });
    expect((await storedOrder(runtime.dataDir, orderId))?.status).toBe('pending_payment');
    expect((await orderEvents(runtime.dataDir, orderId)).map((e) => e.type)).toEqual(['created']);
  });

  // Last of this runtime's tests: it restarts the runtime with another reconcile setting.
  test('a dropped notification is recovered by reconcile', async () => {
    await runtime.faults({ pay: { drop: 1 } });
    const { orderId, outTradeNo } = await order('notification-lost');
    await runtime.pay(outTradeNo);
    await sleep(200);
    expect((await storedOrder(runtime.dataDir, orderId))?.status).toBe('pending_payment');
    // Reconcile gives notifications their grace; a run "later" is simulated by a restart without it.
    const early = await runtime.trigger('reconcile');
    expect(early.recoveredPayments).toBe(0);
    await runtime.restart({ RECONCILE_NOTIFICATION_GRACE_SECONDS: '0' });
    const report = await runtime.trigger('reconcile');
    // At least this one (the underpaid order's real payment, made earlier on this runtime, is found too).
    expect(report.recoveredPayments).toBeGreaterThanOrEqual(1);
    const done = await runtime.waitForOrder(orderId, (o) => o.status === 'completed', 'notification-lost');
    expect(done.output.length).toBeGreaterThan(0);
    const sources = (await orderEvents(runtime.dataDir, orderId)).filter((e) => e.type === 'payment_confirmed').map((e) => e.detail.source);
    expect(sources).toEqual(['query_order_by_reconcile']);
  });

});

describe('payment notifications that are late, with no grace before WeChat Pay is asked', () => {
  runtimeForThisBlock({ PAYMENT_GRACE_SECONDS: '0' });

  test('a page polling a paid order whose notification is late asks the provider itself', async () => {
    await runtime.faults({ pay: { drop: 1 } });
    const { orderId, outTradeNo } = await order('page-asks');
    await runtime.pay(outTradeNo);
    const done = await runtime.waitForOrder(orderId, (o) => o.status === 'completed', 'page-asks');
    expect(done.status).toBe('completed');
    const sources = (await orderEvents(runtime.dataDir, orderId)).filter((e) => e.type === 'payment_confirmed').map((e) => e.detail.source);
    expect(sources).toEqual(['query_order_by_page']);
  });

  test('a user whose payment notification is late can order again: the paid order is found and goes on', async () => {
    await runtime.faults({ pay: { drop: 1 } });
    const first = await order('eager-buyer');
    await runtime.pay(first.outTradeNo);
    const second = await runtime.call('createOrder', { tier: 'quick', prompt: 'And another question' }, 'eager-buyer');
    expect(second.ok).toBe(true);
    const done = await runtime.waitForOrder(first.orderId, (o) => o.status === 'completed', 'eager-buyer');
    expect(done.status).toBe('completed');
    const sources = (await orderEvents(runtime.dataDir, first.orderId)).filter((e) => e.type === 'payment_confirmed').map((e) => e.detail.source);
    expect(sources).toEqual(['query_order_on_create']);
  });

  test('an unpaid pending order still blocks a second one', async () => {
    await order('undecided');
    const second = await runtime.call('createOrder', { tier: 'quick', prompt: 'Another' }, 'undecided');
    expect(second.ok).toBe(false);
    expect(second.error.code).toBe('ACTIVE_PAYMENT_EXISTS');
  });
});
