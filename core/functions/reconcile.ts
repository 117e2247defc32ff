import type { AppContext } from '../context';
import { log } from '../log';
import { ActivePaymentLock } from '../orders/activePayment';
import type { OrderDocument } from '../orders/order';
import { confirmPayment } from '../payments/confirm';
import { checkRefund, requestRefund } from '../payments/refunds';
import { queryPendingPayment } from '../payments/verifyPending';
import { MAX_ATTEMPTS } from './generate';
import { pruneNotifyNonces } from './payNotify';
import type { TriggerHandler } from './serve';

/** No new item is started after this long, so a run ends well inside the function's 60 s. */
export const RECONCILE_BUDGET_MS = 40_000;
/** A claim by one run keeps another (running at the same time) off the same order; a crashed run's claim lapses. */
const CLAIM_MS = 90_000;
const PAID_NOT_STARTED_MS = 15_000;

const REFUND_REASON = 'AI generation failed';

export interface ReconcileReport {
  recoveredPayments: number;
  closedExpired: number;
  closedAtProvider: number;
  latePayments: number;
  redispatched: number;
  refundedStuck: number;
  refundsChecked: number;
  refundsRequested: number;
  skippedClaimed: number;
}

interface ReconcileMarks {
  reconcileClaimUntil?: number;
  /** How many reconcile passes finished on this order: a run holding an older copy cannot claim it. */
  reconcilePasses?: number;
}

/**
 * Claims an order for this run. The claim is conditional on the order being exactly as this run
 * listed it (status, no live claim, same number of finished passes), so a second run that listed
 * it at the same time can neither claim it while this one works nor after this one finished.
 */
async function claim(ctx: AppContext, order: OrderDocument): Promise<number | null> {
  const now = ctx.now();
  const _ = ctx.db.command;
  const marks = order as unknown as ReconcileMarks;
  if (marks.reconcileClaimUntil !== undefined && marks.reconcileClaimUntil > now) return null;
  const until = now + CLAIM_MS;
  const won = await ctx.orders.patch(
    order._id,
    {
      status: order.status,
      reconcileClaimUntil: marks.reconcileClaimUntil === undefined ? _.exists(false) : marks.reconcileClaimUntil,
      reconcilePasses: marks.reconcilePasses === undefined ? _.exists(false) : marks.reconcilePasses,
    },
    { reconcileClaimUntil: until },
    false,
  );
  return won ? until : null;
}

/** Done with it: the next run may look again. Only a claim this run still holds is released (a crashed run's simply runs out). */
async function release(ctx: AppContext, orderId: string, until: number): Promise<void> {
  const _ = ctx.db.command;
  await ctx.orders.patch(orderId, { reconcileClaimUntil: until }, { reconcileClaimUntil: _.remove(), reconcilePasses: _.inc(1) }, false);
}

/**
 * Finds what notifications and workers lost. Every step is a conditional update or an idempotent
 * provider call (same refund number), every action is an audit event, each order is claimed
 * first, and each category is a bounded batch within a time budget: two runs at once do nothing
 * twice, and a run always ends inside the function's time limit.
 */
export const reconcile: TriggerHandler = async (ctx) => {
  const _ = ctx.db.command;
  const startedAt = ctx.now();
  const now = startedAt;
  const report: ReconcileReport = {
    recoveredPayments: 0,
    closedExpired: 0,
    closedAtProvider: 0,
    latePayments: 0,
    redispatched: 0,
    refundedStuck: 0,
    refundsChecked: 0,
    refundsRequested: 0,
    skippedClaimed: 0,
  };
  const audit = (order: OrderDocument, type: string, detail: Record<string, unknown> = {}) =>
    ctx.orders.audit({ orderId: order._id, type, at: ctx.now(), detail: { by: 'reconcile', ...detail } });

  const each = async (condition: Record<string, unknown>, work: (order: OrderDocument) => Promise<void>): Promise<void> => {
    // Least-visited first (never visited sort first): orders that cannot settle (a refund the
    // provider keeps rejecting) take their turn without starving newer ones.
    for (const order of await ctx.orders.find(condition, ctx.env.reconcileBatch, 'reconcilePasses')) {
      if (ctx.now() - startedAt > RECONCILE_BUDGET_MS) return;
      const until = await claim(ctx, order);
      if (until === null) {
        report.skippedClaimed += 1;
        continue;
      }
      try {
        await work(order);
      } catch (error) {
        log('error', 'reconcile_item_failed', { orderId: order._id, status: order.status, error: String(error) });
      } finally {
        await release(ctx, order._id, until).catch(() => undefined);
      }
    }
  };

  const closeExpired = async (order: OrderDocument): Promise<void> => {
    const providerClosed = await ctx.payments.closeOrder(order.outTradeNo).catch(() => false);
    const moved = await ctx.orders.transition({
      orderId: order._id,
      from: 'pending_payment',
      to: 'closed',
      set: { closedAt: ctx.now(), providerClosed },
      reason: 'expired',
      detail: { by: 'reconcile', providerClosed },
    });
    if (moved) {
      report.closedExpired += 1;
      await new ActivePaymentLock(ctx.db).release(order.userHash, order._id);
    }
  };

  // 0. First, money owed back: refunds not yet confirmed, for failed answers and for late payments on closed orders:
  //    ask where they stand; ask again, with the same refund number, if never taken or rejected.
  const recheckRefund = async (order: OrderDocument): Promise<void> => {
    if (order.refund?.status === 'requested') {
      const state = await checkRefund(ctx, order._id);
      report.refundsChecked += 1;
      if (state !== 'not_found') return;
    }
    await audit(order, 'refund_requested_again', { previous: order.refund?.status ?? 'none', outRefundNo: order.refund?.outRefundNo ?? null });
    await requestRefund(ctx, order, order.status === 'closed' ? 'order was closed before payment arrived' : REFUND_REASON);
    report.refundsRequested += 1;
  };
  await each({ status: 'refunding' }, recheckRefund);
  await each({ status: 'closed', 'refund.status': _.in(['requested', 'rejected']) }, recheckRefund);

  // 1. Expired unpaid orders: ask first (the money may have come), then close at the provider and here.
  //    The prepay's time_expire is this same expiresAt, so the provider takes no money after it.
  await each({ status: 'pending_payment', expiresAt: _.lte(now) }, async (order) => {
    const outcome = await queryPendingPayment(ctx, order, 'query_order_by_reconcile', 0);
    if (outcome === 'confirmed') report.recoveredPayments += 1;
    else if (outcome === 'not_paid') await closeExpired(order);
  });

  // 2. Paid but not notified: pending orders past the notification grace period are asked about.
  await each({ status: 'pending_payment', createdAt: _.lt(now - ctx.env.reconcileGraceMs), expiresAt: _.gt(now) }, async (order) => {
    if ((await queryPendingPayment(ctx, order, 'query_order_by_reconcile', 0)) === 'confirmed') report.recoveredPayments += 1;
  });

  // 3. Closed here but not at the provider (cloud pay refuses in the first 5 minutes). When the
  //    provider will not close because the order was paid, that is a late payment: refund it.
  await each({ status: 'closed', providerClosed: false }, async (order) => {
    if (await ctx.payments.closeOrder(order.outTradeNo)) {
      await ctx.orders.patch(order._id, { status: 'closed' }, { providerClosed: true }, false);
      await audit(order, 'closed_at_provider');
      report.closedAtProvider += 1;
      return;
    }
    const trade = await ctx.payments.queryOrder(order.outTradeNo);
    if ((trade.state === 'SUCCESS' || trade.state === 'REFUND') && trade.amountFen !== undefined) {
      const outcome = await confirmPayment(ctx, {
        outTradeNo: order.outTradeNo,
        amountFen: trade.amountFen,
        ...(trade.transactionId ? { transactionId: trade.transactionId } : {}),
        source: 'query_order_by_reconcile',
      });
      if (outcome === 'late_payment_refunded') report.latePayments += 1;
    } else if (trade.state === 'CLOSED' || trade.state === 'REVOKED' || trade.state === 'NOT_FOUND') {
      await ctx.orders.patch(order._id, { status: 'closed' }, { providerClosed: true }, false);
      await audit(order, 'closed_at_provider', { providerState: trade.state });
      report.closedAtProvider += 1;
    }
  });

  /** Gives up on an answer: `generating → refunding` (only when no live worker holds it) and the refund. */
  async function abandon(order: OrderDocument): Promise<void> {
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
      if (refunding) await requestRefund(ctx, refunding, REFUND_REASON);
    }
  }

  // 4. Paid, but generation never started (the dispatch was lost). After RECONCILE_GIVE_UP_SECONDS
  //    (a broken deploy, a function that cannot start) the order is refunded instead.
  await each({ status: 'paid', paidAt: _.lt(now - Math.min(PAID_NOT_STARTED_MS, ctx.env.giveUpAfterMs)) }, async (order) => {
    if (order.paidAt !== undefined && ctx.now() - order.paidAt > ctx.env.giveUpAfterMs) {
      // Take it from `generate` (paid → generating, with no lease to renew), then refund it.
      const taken = await ctx.orders.transition({
        orderId: order._id,
        from: 'paid',
        to: 'generating',
        set: { leaseId: 'reconcile', leaseExpiresAt: 0, attempts: MAX_ATTEMPTS },
        reason: 'generation_never_started',
        detail: { by: 'reconcile' },
      });
      if (taken) await abandon({ ...order, status: 'generating', attempts: MAX_ATTEMPTS, leaseExpiresAt: 0 });
      return;
    }
    await audit(order, 'generation_redispatched');
    await ctx.dispatchGeneration(order._id);
    report.redispatched += 1;
  });

  // 5. Generating with an expired lease: the worker died. Resume, or refund after too many tries.
  await each({ status: 'generating', leaseExpiresAt: _.lt(now) }, async (order) => {
    const deadFor = ctx.now() - (order.leaseExpiresAt ?? 0);
    if (order.attempts < MAX_ATTEMPTS && deadFor < ctx.env.giveUpAfterMs) {
      await audit(order, 'generation_redispatched', { attempts: order.attempts });
      await ctx.dispatchGeneration(order._id);
      report.redispatched += 1;
      return;
    }
    await abandon(order);
  });

  const prunedNonces = await pruneNotifyNonces(ctx).catch(() => 0);
  if (Object.values(report).some((n) => n > 0)) log('info', 'reconcile_report', { ...report, prunedNonces });
  return report;
};
