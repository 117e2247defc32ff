import { uploadShipping } from '../compliance/shipping';
import { MAX_ATTEMPTS } from '../generation/lease';
import { log } from '../log';
import {
  beginRefund,
  checkRefund,
  claimForReconcile,
  closeUnpaid,
  recordProviderClosed,
  recordReconcileAction,
  refundUnstarted,
  releaseReconcileClaim,
  requestRefund,
} from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import type { OrderCondition } from '../orders/repository';
import { acceptPaymentEvidence } from '../payments/evidence';
import { providerCall } from '../payments/retryPolicy';
import { pruneNotifyNonces } from '../payments/v3/nonces';
import { reconcileTopUps, type TopUpReport } from '../payments/topUpReconcile';
import { undoSpend } from '../payments/tokenSpend';
import { queryPendingPayment } from '../payments/verifyPending';
import type { TriggerHandler } from './serve';

/** No new item is started after this long, so a run ends well inside the function's 60 s. */
export const RECONCILE_BUDGET_MS = 40_000;
const PAID_NOT_STARTED_MS = 15_000;
/** A closed order still payable at the provider is watched this long (a day) for a late payment. */
export const STOP_WATCHING_CLOSED_MS = 24 * 3600_000;

export interface ReconcileReport {
  recoveredPayments: number;
  closedExpired: number;
  closedAtProvider: number;
  latePayments: number;
  redispatched: number;
  refundedStuck: number;
  refundsChecked: number;
  refundsRequested: number;
  shippingUploaded: number;
  shippingFailed: number;
  skippedClaimed: number;
  topUpsConfirmed: number;
  topUpsClosed: number;
  bonusesGiven: number;
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
    shippingUploaded: 0,
    shippingFailed: 0,
    skippedClaimed: 0,
    topUpsConfirmed: 0,
    topUpsClosed: 0,
    bonusesGiven: 0,
  };
  const audit = (order: OrderDocument, type: string, detail: Record<string, unknown> = {}) => recordReconcileAction(ctx, order, type, detail);

  const each = async (condition: OrderCondition, work: (order: OrderDocument) => Promise<void>): Promise<void> => {
    // Least-visited first (never visited sort first): orders that cannot settle (a refund the
    // provider keeps rejecting) take their turn without starving newer ones. A category that cannot
    // be listed now (the database failing) is left to the next run; the others still get theirs.
    let batch: OrderDocument[];
    try {
      batch = await ctx.orders.find(condition, ctx.env.reconcileBatch, 'reconcilePasses');
    } catch (error) {
      log('error', 'reconcile_list_failed', { error: String(error) });
      return;
    }
    for (const order of batch) {
      if (ctx.now() - startedAt > RECONCILE_BUDGET_MS) return;
      const until = await claimForReconcile(ctx, order);
      if (until === null) {
        report.skippedClaimed += 1;
        continue;
      }
      try {
        await work(order);
      } catch (error) {
        log('error', 'reconcile_item_failed', { orderId: order._id, status: order.status, error: String(error) });
      } finally {
        await releaseReconcileClaim(ctx, order._id, until).catch(() => undefined);
      }
    }
  };

  const closeExpired = async (order: OrderDocument): Promise<void> => {
    const providerClosed = await ctx.payments.closeOrder(order.outTradeNo).catch(() => false);
    if (await closeUnpaid(ctx, order, { reason: 'expired', providerClosed })) report.closedExpired += 1;
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
    await requestRefund(ctx, order);
    report.refundsRequested += 1;
  };
  await each({ status: 'refunding' }, recheckRefund);
  await each({ status: 'closed', 'refund.status': _.in(['requested', 'rejected']) }, recheckRefund);

  // 1. Expired unpaid orders: ask first (the money may have come), then close at the provider and here.
  //    The prepay's time_expire is this same expiresAt, so the provider takes no money after it.
  await each({ status: 'pending_payment', expiresAt: _.lte(now) }, async (order) => {
    if (order.payWith === 'tokens') {
      // A spend never answered, now too late to answer: give back whatever it may have taken, then close.
      if ((await undoSpend(ctx, order)) === 'closed') report.closedExpired += 1;
      return;
    }
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
    // Virtual payment has no close API: a sheet left open could still be paid. After a day WeChat's
    // own order is long gone, and watching it stops.
    if (order.closedAt !== undefined && ctx.now() - order.closedAt > STOP_WATCHING_CLOSED_MS) {
      await recordProviderClosed(ctx, order, { providerState: 'stopped_watching' });
      report.closedAtProvider += 1;
      return;
    }
    if (await ctx.payments.closeOrder(order.outTradeNo)) {
      await recordProviderClosed(ctx, order, {});
      report.closedAtProvider += 1;
      return;
    }
    const trade = await providerCall(ctx.clock, 'query', () => ctx.payments.queryOrder(order.outTradeNo));
    if ((trade.state === 'SUCCESS' || trade.state === 'REFUND') && trade.amountFen !== undefined) {
      // The provider's own answer, in this call: evidence as it is.
      const outcome = await acceptPaymentEvidence(ctx, {
        outTradeNo: order.outTradeNo,
        amountFen: trade.amountFen,
        ...(trade.transactionId ? { transactionId: trade.transactionId } : {}),
        ...(trade.payerOpenid ? { payerOpenid: trade.payerOpenid } : {}),
        verified: true,
        source: 'query_order_by_reconcile',
      }, order);
      if (outcome === 'late_payment_refunded') report.latePayments += 1;
    } else if (trade.state === 'CLOSED' || trade.state === 'REVOKED' || trade.state === 'NOT_FOUND') {
      await recordProviderClosed(ctx, order, { providerState: trade.state });
      report.closedAtProvider += 1;
    }
  });

  // 4. Paid, but generation never started (the dispatch was lost). After RECONCILE_GIVE_UP_SECONDS
  //    (a broken deploy, a function that cannot start) the order is refunded instead.
  await each({ status: 'paid', paidAt: _.lt(now - Math.min(PAID_NOT_STARTED_MS, ctx.env.giveUpAfterMs)) }, async (order) => {
    if (order.paidAt !== undefined && ctx.now() - order.paidAt > ctx.env.giveUpAfterMs) {
      if (await refundUnstarted(ctx, order)) report.refundedStuck += 1;
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
    if (await beginRefund(ctx, order, { reason: 'generation_abandoned', attempts: order.attempts })) report.refundedStuck += 1;
  });

  // 6. 发货信息管理: completed orders whose shipping upload failed, or was left half-way by a worker
  //    that died, are uploaded again once due (a doubling delay, a bounded number of attempts).
  await each({ status: 'completed', 'shipping.status': _.in(['pending', 'failed', 'uploading']) }, async (order) => {
    const outcome = await uploadShipping(ctx, order, 'reconcile');
    if (outcome === 'uploaded') report.shippingUploaded += 1;
    else if (outcome !== 'skipped') report.shippingFailed += 1;
  });

  // 7. Token top-ups (virtual payment): confirmations pushes lost, expiries, bonuses still owed.
  const topUps = await reconcileTopUps(ctx, startedAt + RECONCILE_BUDGET_MS);
  for (const [key, value] of Object.entries(topUps)) report[key as keyof TopUpReport] += value;

  const prunedNonces = await pruneNotifyNonces(ctx.db, ctx.now()).catch(() => 0);
  if (Object.values(report).some((n) => n > 0)) log('info', 'reconcile_report', { ...report, prunedNonces });
  return report;
};
