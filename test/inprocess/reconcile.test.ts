import { cancelOrder } from '../../core/functions/cancelOrder';
import { reconcile, type ReconcileReport } from '../../core/functions/reconcile';
import { DEFAULT_LEASE_MS, MAX_ATTEMPTS } from '../../core/generation/lease';
import { claimGeneration } from '../../core/orders/lifecycle';
import type { OrderDocument } from '../../core/orders/order';
import { InProcess, type InProcessOptions } from '../support/inProcess';

/**
 * `reconcile`'s edge cases, in process: what notifications and workers lost is found and repaired,
 * exactly once, with time moved on the virtual clock instead of waited for. The payment provider is
 * the in-process ledger (our PaymentProvider interface's own values); the same flows through the
 * real SDK and WeChat Pay's wire fields are in the runtime suites (payment-flow, notifications,
 * refunds-and-recovery, crash-recovery, cloudpay-fidelity).
 */
const TTL_MS = 600_000;
let h: InProcess;
let users = 0;
const newUser = () => `reconcile-${++users}`;

async function start(options: InProcessOptions = {}): Promise<void> {
  h = await InProcess.start({ ...options, env: { RECONCILE_NOTIFICATION_GRACE_SECONDS: '0', ORDER_TTL_SECONDS: String(TTL_MS / 1000), ...options.env } });
}
afterEach(async () => {
  await h.close();
});

const runReconcile = () => h.trigger<ReconcileReport>(reconcile);
const eventTypes = async (orderId: string) => (await h.events(orderId)).map((e) => e.type);
const count = (types: string[], type: string) => types.filter((t) => t === type).length;
const stored = async (orderId: string) => (await h.order(orderId)) as OrderDocument;

/** Paid at the provider; the notification never arrives. */
async function paidWithLostNotification(user = newUser()): Promise<OrderDocument> {
  const order = await h.createOrder(user, 'quick', 'What is oolong?');
  h.ledger.pay(order.outTradeNo);
  return order;
}

describe('reconcile', () => {
  test('a payment whose notification was lost is recovered with queryOrder and generates', async () => {
    await start();
    const order = await paidWithLostNotification();
    await h.clock.advance(1_000);
    const report = await runReconcile();
    expect(report.recoveredPayments).toBe(1);
    await h.settled();
    expect((await h.events(order._id)).find((e) => e.type === 'payment_confirmed')?.detail).toEqual({ source: 'query_order_by_reconcile' });
    expect(await stored(order._id)).toMatchObject({ status: 'completed', outputComplete: true });
  });

  test('an unpaid order past its expiry is closed at the provider and here, and frees the user', async () => {
    await start();
    const user = newUser();
    const order = await h.createOrder(user, 'quick', 'Never paid');
    expect((await runReconcile()).closedExpired).toBe(0);
    await h.clock.advance(TTL_MS);
    expect((await runReconcile()).closedExpired).toBe(1);
    expect(await stored(order._id)).toMatchObject({ status: 'closed', providerClosed: true });
    expect((await h.events(order._id)).find((e) => e.type === 'expired')).toMatchObject({ from: 'pending_payment', to: 'closed', detail: { by: 'reconcile', providerClosed: true } });
    expect((await h.ledger.queryOrder(order.outTradeNo)).state).toBe('CLOSED');
    expect((await h.createOrder(user, 'quick', 'again')).status).toBe('pending_payment');
  });

  test('an order paid just before it expired is recovered, not closed', async () => {
    await start();
    const order = await paidWithLostNotification();
    await h.clock.advance(TTL_MS);
    const report = await runReconcile();
    expect(report).toMatchObject({ recoveredPayments: 1, closedExpired: 0 });
    await h.settled();
    expect((await stored(order._id)).status).toBe('completed');
  });

  test('two reconcile runs at the same moment do nothing twice', async () => {
    await start();
    const expiring = [await h.createOrder(newUser(), 'quick', 'e1'), await h.createOrder(newUser(), 'quick', 'e2'), await h.createOrder(newUser(), 'quick', 'e3')];
    await h.clock.advance(TTL_MS);
    const lost = [await paidWithLostNotification(), await paidWithLostNotification()];
    // Closed here but not yet at the provider.
    h.ledger.refuseClose = true;
    const unclosedUser = newUser();
    const unclosed = await h.createOrder(unclosedUser, 'quick', 'cancel me');
    expect(await h.call(cancelOrder, { orderId: unclosed._id }, unclosedUser)).toMatchObject({ ok: true, order: { status: 'closed' } });
    h.ledger.refuseClose = false;
    // A failed answer whose refund the provider rejected.
    h.model.setFaults({ llm: { error: 1 } });
    h.ledger.rejectRefunds = true;
    const rejected = await h.paidOrder(newUser(), 'quick', 'nobody answers');
    expect(await eventTypes(rejected._id)).toContain('refund_rejected');
    h.model.setFaults({ llm: { error: 0 } });
    h.ledger.rejectRefunds = false;

    await h.clock.advance(1_000);
    const reports = await Promise.all([runReconcile(), runReconcile()]);
    await h.settled();
    const total = (key: keyof ReconcileReport) => reports.reduce((sum, r) => sum + r[key], 0);
    expect(total('closedExpired')).toBe(expiring.length);
    expect(total('recoveredPayments')).toBe(lost.length);
    expect(total('closedAtProvider')).toBe(1);
    expect(count(await eventTypes(unclosed._id), 'closed_at_provider')).toBe(1);
    expect((await h.ledger.queryOrder(unclosed.outTradeNo)).state).toBe('CLOSED');
    expect((await stored(rejected._id)).status).toBe('refunded');
    expect(count(await eventTypes(rejected._id), 'refund_requested_again')).toBe(1);
    expect(h.ledger.refundsFor(rejected.outTradeNo)).toMatchObject([{ requests: 1 }]);
    for (const order of expiring) {
      expect((await stored(order._id)).status).toBe('closed');
      expect(count(await eventTypes(order._id), 'expired')).toBe(1);
    }
    for (const order of lost) {
      expect((await stored(order._id)).status).toBe('completed');
      expect(count(await eventTypes(order._id), 'payment_confirmed')).toBe(1);
      expect(count(await eventTypes(order._id), 'generation_started')).toBe(1);
    }
  });

  test('a late payment on a closed order is refunded once; a refund still processing is checked again until it settles', async () => {
    await start();
    // The provider will not close yet (cloud pay's first 5 minutes), so the sheet stays payable.
    h.ledger.refuseClose = true;
    h.ledger.refundsSettleAtOnce = false;
    const user = newUser();
    const order = await h.createOrder(user, 'quick', 'I changed my mind');
    expect(await h.call(cancelOrder, { orderId: order._id }, user)).toMatchObject({ ok: true, order: { status: 'closed' } });
    h.ledger.pay(order.outTradeNo); // paid after all; the notification is lost

    expect((await runReconcile()).latePayments).toBe(1);
    expect(await stored(order._id)).toMatchObject({ status: 'closed', refund: { outRefundNo: `R${order.outTradeNo}`, status: 'requested' } });
    expect((await runReconcile()).refundsChecked).toBe(1);
    expect((await stored(order._id)).refund?.status).toBe('requested');

    h.ledger.settleRefunds();
    await runReconcile();
    expect(await stored(order._id)).toMatchObject({ status: 'closed', refund: { status: 'succeeded' } });
    await runReconcile();
    expect(h.ledger.refundsFor(order.outTradeNo)).toMatchObject([{ refundFen: order.amountFen, requests: 1 }]);
    const types = await eventTypes(order._id);
    expect(count(types, 'late_payment_refund_requested')).toBe(1);
    expect(count(types, 'late_payment_refund_confirmed')).toBe(1);
    expect(types).not.toContain('payment_confirmed');
  });
});

describe('orders that get stuck are still settled', () => {
  test('a paid order that generate never manages to start is re-dispatched, then refunded after the give-up time', async () => {
    await start({ runGenerate: false, env: { RECONCILE_GIVE_UP_SECONDS: '60' } });
    const order = await h.createOrder(newUser(), 'quick', 'Nobody will answer');
    await h.pay(order);
    expect((await runReconcile()).redispatched).toBe(0); // just paid: generate may still be starting
    await h.clock.advance(20_000);
    expect((await runReconcile()).redispatched).toBe(1);
    expect(h.dispatched).toEqual([order._id, order._id]);
    await h.clock.advance(45_000);
    expect((await runReconcile()).refundedStuck).toBe(1);
    expect((await stored(order._id)).status).toBe('refunded');
    expect(await eventTypes(order._id)).toContain('generation_never_started');
    expect(h.ledger.refundsFor(order.outTradeNo)).toHaveLength(1);
  });

  test('a generation whose worker died is resumed while attempts are left, then refunded', async () => {
    await start({ runGenerate: false });
    const order = await h.createOrder(newUser(), 'quick', 'My worker keeps dying');
    await h.pay(order);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      expect(await claimGeneration(h.ctx, order._id, `lease-${attempt}`)).toMatchObject({ status: 'generating', attempts: attempt });
      await h.clock.advance(DEFAULT_LEASE_MS + 1); // the worker dies: nobody renews the lease
      const report = await runReconcile();
      if (attempt < MAX_ATTEMPTS) expect(report.redispatched).toBe(1);
      else expect(report.refundedStuck).toBe(1);
    }
    expect((await stored(order._id)).status).toBe('refunded');
    expect((await h.events(order._id)).find((e) => e.type === 'generation_abandoned')?.detail).toMatchObject({ by: 'reconcile', attempts: MAX_ATTEMPTS });
  });

  test('a configured lease (GENERATION_LEASE_SECONDS) is what a dead worker’s order waits for', async () => {
    await start({ runGenerate: false, env: { GENERATION_LEASE_SECONDS: '6' } });
    const order = await h.createOrder(newUser(), 'quick', 'A short lease');
    await h.pay(order);
    expect(await claimGeneration(h.ctx, order._id, 'lease-short')).toMatchObject({ status: 'generating', attempts: 1 });
    await h.clock.advance(5_900);
    expect((await runReconcile()).redispatched).toBe(0);
    await h.clock.advance(101);
    expect((await runReconcile()).redispatched).toBe(1);
  });

  test('orders that cannot settle do not keep reconcile from newer ones', async () => {
    // Batches of 2, and refunds the provider keeps rejecting: three refunding orders that never settle.
    await start({ env: { RECONCILE_BATCH_SIZE: '2' } });
    h.model.setFaults({ llm: { error: 1 } });
    h.ledger.rejectRefunds = true;
    const orders: OrderDocument[] = [];
    for (const n of [1, 2, 3]) orders.push(await h.paidOrder(newUser(), 'quick', `Fail ${n}`));
    for (const order of orders) expect(order.status).toBe('refunding');
    await runReconcile();
    await runReconcile();
    // Within two runs of two, every one of the three was asked about again.
    for (const order of orders) expect(count(await eventTypes(order._id), 'refund_requested_again')).toBeGreaterThanOrEqual(1);
    // Once the provider takes refunds again, they all end refunded.
    h.ledger.rejectRefunds = false;
    await runReconcile();
    await runReconcile();
    for (const order of orders) expect((await stored(order._id)).status).toBe('refunded');
  });
});
