import type { AppContext } from '../context';
import { log } from '../log';
import { ActivePaymentLock } from '../orders/activePayment';
import { outRefundNoFor } from '../orders/ids';
import type { OrderDocument } from '../orders/order';

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
export async function confirmPayment(ctx: AppContext, evidence: PaymentEvidence): Promise<ConfirmOutcome> {
  const order = await ctx.orders.findByOutTradeNo(evidence.outTradeNo);
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
 * opened before). The order stays closed, the money goes back, once (the refund number is derived).
 */
async function refundLatePayment(ctx: AppContext, order: OrderDocument, evidence: PaymentEvidence): Promise<ConfirmOutcome> {
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  if (order.refund?.status === 'succeeded') return 'duplicate';
  const answer = await ctx.payments.refund({
    outTradeNo: order.outTradeNo,
    outRefundNo,
    totalFen: order.amountFen,
    refundFen: order.amountFen,
    reason: 'order was closed before payment arrived',
  });
  const requestedAt = order.refund?.requestedAt ?? ctx.now();
  await ctx.orders.patch(order._id, { status: 'closed' }, {
    ...(evidence.transactionId ? { transactionId: evidence.transactionId } : {}),
    refund: answer.accepted ? { outRefundNo, status: 'requested', requestedAt } : { outRefundNo, status: 'rejected', requestedAt, lastError: answer.message ?? '' },
  });
  await ctx.orders.audit({ orderId: order._id, type: answer.accepted ? 'late_payment_refund_requested' : 'refund_rejected', at: ctx.now(), detail: { outRefundNo } });
  if (!answer.accepted) log('error', 'refund_rejected_needs_operator', { orderId: order._id, outRefundNo, message: answer.message ?? '' });
  return 'late_payment_refunded';
}
