import type { AppContext } from '../context';
import { log } from '../log';
import { ActivePaymentLock } from '../orders/activePayment';
import type { OrderDocument } from '../orders/order';
import { checkRefund, requestRefund } from '../payments/refunds';
import { queryPendingPayment } from '../payments/verifyPending';
import { MAX_ATTEMPTS } from './generate';
import type { TriggerHandler } from './serve';

/** Orders handled per category per run: bounded work for a function with a time limit. */
export const RECONCILE_BATCH = 50;
/** A claim by one reconcile run keeps another (running at the same time) off the same order. */
const CLAIM_MS = 60_000;
const PAID_NOT_STARTED_MS = 15_000;

export interface ReconcileReport {
  recoveredPayments: number;
  closedExpired: number;
  closedAtProvider: number;
  redispatched: number;
  refundedStuck: number;
  refundsChecked: number;
  refundsRequested: number;
}

/** Returns the claim's expiry when this run now owns the order, or null when another run does. */
async function claim(ctx: AppContext, order: OrderDocument): Promise<number | null> {
  const now = ctx.now();
  const _ = ctx.db.command;
  const current = (order as unknown as { reconcileClaimUntil?: number }).reconcileClaimUntil;
  if (current !== undefined && current > now) return null;
  const until = now + CLAIM_MS;
  const won = await ctx.orders.patch(
    order._id,
    { status: order.status, reconcileClaimUntil: current === undefined ? _.exists(false) : current },
    { reconcileClaimUntil: until },
    false,
  );
  return won ? until : null;
}

async function each(ctx: AppContext, condition: Record<string, unknown>, work: (order: OrderDocument) => Promise<void>): Promise<void> {
  for (const order of await ctx.orders.find(condition, RECONCILE_BATCH)) {
    const until = await claim(ctx, order);
    if (until === null) continue;
    try {
      await work(order);
    } catch (error) {
      log('error', 'reconcile_item_failed', { orderId: order._id, status: order.status, error: String(error) });
    } finally {
      // Done with it: the next run may look again (a crashed run's claim simply runs out).
      await ctx.orders.patch(order._id, { reconcileClaimUntil: until }, { reconcileClaimUntil: ctx.db.command.remove() }, false).catch(() => false);
    }
  }
}

/**
 * Finds what notifications and workers lost. Every step is a conditional update or an idempotent
 * provider call, and each order is claimed first, so two runs at once do nothing twice.
 */
export const reconcile: TriggerHandler = async (ctx) => {
  const _ = ctx.db.command;
  const now = ctx.now();
  const report: ReconcileReport = { recoveredPayments: 0, closedExpired: 0, closedAtProvider: 0, redispatched: 0, refundedStuck: 0, refundsChecked: 0, refundsRequested: 0 };
  const audit = (order: OrderDocument, type: string, detail: Record<string, unknown> = {}) =>
    ctx.orders.audit({ orderId: order._id, type, at: ctx.now(), detail: { by: 'reconcile', ...detail } });

  // 1. Pending orders: paid after all (lost notification), or expired and to be closed.
  await each(ctx, { status: 'pending_payment', createdAt: _.lt(now - ctx.env.reconcileGraceMs) }, async (order) => {
    const outcome = await queryPendingPayment(ctx, order, 'query_order_by_reconcile', 0);
    if (outcome === 'confirmed') {
      report.recoveredPayments += 1;
      return;
    }
    if (outcome !== 'not_paid' || order.expiresAt > ctx.now()) return;
    const providerClosed = await ctx.payments.closeOrder(order.outTradeNo).catch(() => false);
    const moved = await ctx.orders.transition({
      orderId: order._id,
      from: 'pending_payment',
      to: 'closed',
      set: { closedAt: ctx.now(), providerClosed },
      reason: 'expired',
      detail: { by: 'reconcile' },
    });
    if (moved) {
      report.closedExpired += 1;
      await new ActivePaymentLock(ctx.db).release(order.userHash, order._id);
    }
  });

  // 2. Closed here but not yet at the provider (cloud pay refuses in the first 5 minutes).
  await each(ctx, { status: 'closed', providerClosed: false }, async (order) => {
    if (await ctx.payments.closeOrder(order.outTradeNo)) {
      await ctx.orders.patch(order._id, { status: 'closed' }, { providerClosed: true }, false);
      await audit(order, 'closed_at_provider');
      report.closedAtProvider += 1;
    }
  });

  // 3. Paid, but generation never started (the dispatch was lost).
  await each(ctx, { status: 'paid', paidAt: _.lt(now - PAID_NOT_STARTED_MS) }, async (order) => {
    await audit(order, 'generation_redispatched');
    await ctx.dispatchGeneration(order._id);
    report.redispatched += 1;
  });

  // 4. Generating with an expired lease: the worker died. Resume, or refund after too many tries.
  await each(ctx, { status: 'generating', leaseExpiresAt: _.lt(now) }, async (order) => {
    if (order.attempts < MAX_ATTEMPTS) {
      await audit(order, 'generation_redispatched', { attempts: order.attempts });
      await ctx.dispatchGeneration(order._id);
      report.redispatched += 1;
      return;
    }
    const moved = await ctx.orders.transition({
      orderId: order._id,
      from: 'generating',
      to: 'refunding',
      when: { leaseExpiresAt: _.lt(ctx.now()) },
      set: { output: '', error: { code: 'GENERATION_FAILED', message: 'the answer could not be finished; the payment is being refunded' } },
      reason: 'generation_abandoned',
      detail: { by: 'reconcile', attempts: order.attempts },
    });
    if (moved) {
      report.refundedStuck += 1;
      const refunding = await ctx.orders.findById(order._id);
      if (refunding) await requestRefund(ctx, refunding, 'AI generation failed');
    }
  });

  // 5. Refunds under way: ask where they stand; ask again (same number) if never requested or rejected.
  await each(ctx, { status: 'refunding' }, async (order) => {
    if (order.refund?.status === 'requested') {
      const state = await checkRefund(ctx, order._id);
      report.refundsChecked += 1;
      if (state !== 'not_found') return;
    }
    await audit(order, 'refund_requested_again', { previous: order.refund?.status ?? 'none' });
    await requestRefund(ctx, order, 'AI generation failed');
    report.refundsRequested += 1;
  });

  if (Object.values(report).some((n) => n > 0)) log('info', 'reconcile_report', { ...report });
  return report;
};
