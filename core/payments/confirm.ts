import type { AppContext } from '../context';
import { log } from '../log';
import { ActivePaymentLock } from '../orders/activePayment';
import { outRefundNoFor } from '../orders/ids';
import type { OrderDocument } from '../orders/order';
import { requestRefund } from './refunds';

export interface PaymentEvidence {
  outTradeNo: string;
  amountFen: number;
  transactionId?: string;
  /** Where the evidence came from: 'cloudpay_callback', 'v3_notification', 'query_order', … */
  source: string;
}

export type ConfirmOutcome = 'confirmed' | 'duplicate' | 'amount_mismatch' | 'unknown_order' | 'late_payment_refunded';

/**
 * The one place where an order becomes paid. The conditional update `pending_payment → paid`
 * decides exactly once who starts generation; every duplicate is acknowledged and changes nothing.
 * The caller must already have verified the evidence (signature, or the provider's own answer).
 */
export async function confirmPayment(
  ctx: AppContext,
  evidence: PaymentEvidence,
  /** The order, when the caller has just read it (the status change itself stays conditional). */
  known?: OrderDocument | null,
): Promise<ConfirmOutcome> {
  const order = known !== undefined ? known : await ctx.orders.findByOutTradeNo(evidence.outTradeNo);
  if (!order) {
    log('warn', 'payment_for_unknown_order', { outTradeNo: evidence.outTradeNo, source: evidence.source });
    return 'unknown_order';
  }
  if (evidence.amountFen !== order.amountFen) {
    await ctx.orders.audit({
      orderId: order._id,
      type: 'amount_mismatch',
      at: ctx.now(),
      detail: { expectedFen: order.amountFen, notifiedFen: evidence.amountFen, source: evidence.source },
    });
    log('error', 'payment_amount_mismatch', { orderId: order._id, expectedFen: order.amountFen, notifiedFen: evidence.amountFen });
    return 'amount_mismatch';
  }
  const paidAt = ctx.now();
  const moved = await ctx.orders.transition({
    orderId: order._id,
    from: 'pending_payment',
    to: 'paid',
    set: { paidAt, ...(evidence.transactionId ? { transactionId: evidence.transactionId } : {}) },
    reason: 'payment_confirmed',
    detail: { source: evidence.source },
  });
  if (moved) {
    await new ActivePaymentLock(ctx.db).release(order.userHash, order._id);
    await ctx.dispatchGeneration(order._id);
    return 'confirmed';
  }
  const current = await ctx.orders.findById(order._id);
  if (current?.status === 'closed') return refundLatePayment(ctx, current, evidence);
  return 'duplicate';
}

/**
 * Money arrived for an order that was already cancelled or expired (the user paid on a sheet
 * opened before). The order stays closed and the money goes back, once: the first caller claims
 * the refund with a conditional update; the refund number is derived from the order; reconcile
 * re-checks it until the provider says it succeeded.
 */
async function refundLatePayment(ctx: AppContext, order: OrderDocument, evidence: PaymentEvidence): Promise<ConfirmOutcome> {
  const _ = ctx.db.command;
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const claimed = await ctx.orders.patch(order._id, { status: 'closed', refund: _.exists(false) }, {
    ...(evidence.transactionId ? { transactionId: evidence.transactionId } : {}),
    // Paid at the provider: there is nothing left to close there.
    providerClosed: true,
    refund: { outRefundNo, status: 'requested', requestedAt: ctx.now() },
  });
  if (!claimed) return 'duplicate';
  await ctx.orders.audit({ orderId: order._id, type: 'late_payment_refund_requested', at: ctx.now(), detail: { outRefundNo, source: evidence.source, amountFen: evidence.amountFen } });
  log('warn', 'late_payment_refunding', { orderId: order._id, outRefundNo });
  const claimedOrder = await ctx.orders.findById(order._id);
  if (claimedOrder) await requestRefund(ctx, claimedOrder, 'order was closed before payment arrived');
  return 'late_payment_refunded';
}
