import { LocalRuntime } from './support/runtime';
import { eventTypes, inspectOrder, waitForInspection } from './support/wechatpayV3';

// Cloud pay against the simulator (PAY_MODE=simulator), with orders that expire in 2 s: API v3
// refuses a time_expire less than a minute ahead, so expiry is exercised on this path.
let runtime: LocalRuntime;
let userCounter = 0;
const newUser = () => `reconcile-user-${process.pid}-${++userCounter}`;
const TTL_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  runtime = await LocalRuntime.start({ ORDER_TTL_SECONDS: String(TTL_MS / 1000), RECONCILE_NOTIFICATION_GRACE_SECONDS: '0', RATE_LIMIT_PER_MINUTE: '100' });
});
afterAll(async () => {
  await runtime.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

async function newOrder(user = newUser()) {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'What is oolong?' }, user);
  expect(created.ok).toBe(true);
  return { user, order: created.order as { orderId: string; outTradeNo: string; amountFen: number } };
}

async function paidWithLostNotification() {
  await runtime.faults({ pay: { drop: 1 } });
  const made = await newOrder();
  expect((await runtime.pay(made.order.outTradeNo)).ok).toBe(true);
  const view = await inspectOrder(runtime.url, made.order.outTradeNo);
  expect(view.trade).toMatchObject({ state: 'SUCCESS', notificationDropped: true });
  expect(view.order.status).toBe('pending_payment');
  return made;
}

describe('reconcile', () => {
  test('a payment whose notification was lost is recovered with queryOrder and generates', async () => {
    const { user, order } = await paidWithLostNotification();
    const report = await runtime.trigger('reconcile');
    expect(report.recoveredPayments).toBeGreaterThanOrEqual(1);
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.events.find((e) => e.type === 'payment_confirmed')?.detail).toEqual({ source: 'query_order_by_reconcile' });
    const done = await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    expect(done.outputComplete).toBe(true);
  });

  test('an unpaid order past its expiry is closed at the provider and here, and frees the user', async () => {
    const { user, order } = await newOrder();
    await sleep(TTL_MS + 200);
    const report = await runtime.trigger('reconcile');
    expect(report.closedExpired).toBeGreaterThanOrEqual(1);
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order).toMatchObject({ status: 'closed', providerClosed: true });
    expect(view.events.find((e) => e.type === 'expired')).toMatchObject({ from: 'pending_payment', to: 'closed', detail: { by: 'reconcile', providerClosed: true } });
    expect(view.trade?.state).toBe('CLOSED');
    expect((await runtime.pay(order.outTradeNo)).errMsg).toBe('requestPayment:fail order closed');
    const again = await runtime.call('createOrder', { tier: 'quick', prompt: 'again' }, user);
    expect(again.ok).toBe(true);
    // Leave nothing pending behind for the next test's counts.
    expect((await runtime.call('cancelOrder', { orderId: again.order.orderId }, user)).ok).toBe(true);
  });

  test('two reconcile runs at the same moment do nothing twice', async () => {
    const expiring = [await newOrder(), await newOrder(), await newOrder()];
    const lost = [await paidWithLostNotification(), await paidWithLostNotification()];
    // Closed here but not yet at the provider.
    await runtime.faults({ reset: true, pay: { closeRefused: 1 } });
    const unclosed = await newOrder();
    expect((await runtime.call('cancelOrder', { orderId: unclosed.order.orderId }, unclosed.user)).order.status).toBe('closed');
    // A failed answer whose refund the provider rejected.
    await runtime.faults({ reset: true, llm: { error: 1 }, pay: { refundReject: 1 } });
    const rejected = await newOrder();
    expect((await runtime.pay(rejected.order.outTradeNo)).ok).toBe(true);
    await waitForInspection(runtime.url, rejected.order.outTradeNo, (v) => eventTypes(v).includes('refund_rejected'));
    await runtime.faults({ reset: true });
    await sleep(TTL_MS + 200);
    const reports = await Promise.all([runtime.trigger('reconcile'), runtime.trigger('reconcile')]);
    const total = (key: string) => reports.reduce((sum, r) => sum + (r[key] as number), 0);
    expect(total('closedExpired')).toBe(expiring.length);
    expect(total('recoveredPayments')).toBe(lost.length);
    const closedView = await inspectOrder(runtime.url, unclosed.order.outTradeNo);
    expect(eventTypes(closedView).filter((t) => t === 'closed_at_provider')).toHaveLength(1);
    expect(closedView.trade?.state).toBe('CLOSED');
    const refundView = await waitForInspection(runtime.url, rejected.order.outTradeNo, (v) => v.order.status === 'refunded');
    expect(eventTypes(refundView).filter((t) => t === 'refund_requested_again')).toHaveLength(1);
    expect(refundView.refunds).toHaveLength(1);
    expect(refundView.refunds[0]?.requests).toBe(1);
    for (const { order } of expiring) {
      const view = await inspectOrder(runtime.url, order.outTradeNo);
      expect(view.order.status).toBe('closed');
      expect(eventTypes(view).filter((t) => t === 'expired')).toHaveLength(1);
    }
    for (const { order, user } of lost) {
      await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
      const view = await inspectOrder(runtime.url, order.outTradeNo);
      expect(eventTypes(view).filter((t) => t === 'payment_confirmed')).toHaveLength(1);
      expect(eventTypes(view).filter((t) => t === 'generation_started')).toHaveLength(1);
    }
  });

  test('a late payment on a closed order is refunded once; its lost refund notification is re-checked by reconcile', async () => {
    // The provider will not close yet (cloud pay's first 5 minutes), so the sheet stays payable.
    await runtime.faults({ pay: { closeRefused: 1 } });
    const { user, order } = await newOrder();
    const cancelled = await runtime.call('cancelOrder', { orderId: order.orderId }, user);
    expect(cancelled.order.status).toBe('closed');
    await runtime.faults({ pay: { closeRefused: 1, drop: 1 } });
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);

    const first = await runtime.trigger('reconcile');
    expect(first.latePayments).toBe(1);
    const requested = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.refunds[0]?.state === 'SUCCESS');
    expect(requested.order).toMatchObject({ status: 'closed', refund: { outRefundNo: `R${order.outTradeNo}`, status: 'requested' } });
    expect(requested.refunds[0]?.notificationDropped).toBe(true);

    await runtime.trigger('reconcile');
    await runtime.trigger('reconcile');
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order).toMatchObject({ status: 'closed', refund: { status: 'succeeded' } });
    expect(view.refunds).toHaveLength(1);
    expect(view.refunds[0]).toMatchObject({ refundFen: order.amountFen, requests: 1 });
    expect(eventTypes(view).filter((t) => t === 'late_payment_refund_requested')).toHaveLength(1);
    expect(eventTypes(view).filter((t) => t === 'late_payment_refund_confirmed')).toHaveLength(1);
    expect(eventTypes(view)).not.toContain('payment_confirmed');
  });
});
