import type { AppContext } from '../context';
import { log } from '../log';
import { markPaid, recordAmountMismatch, refundLatePayment } from '../orders/lifecycle';
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
 * The one place where payment evidence is weighed. An order of the right amount becomes paid
 * (`markPaid` decides exactly once who starts generation); every duplicate is acknowledged and
 * changes nothing; money for an order that closed meanwhile goes back (`refundLatePayment`).
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
    await recordAmountMismatch(ctx, order, { expectedFen: order.amountFen, notifiedFen: evidence.amountFen, source: evidence.source });
    return 'amount_mismatch';
  }
  const payment = { ...(evidence.transactionId ? { transactionId: evidence.transactionId } : {}), source: evidence.source };
  if (await markPaid(ctx, order, payment)) return 'confirmed';
  const current = await ctx.orders.findById(order._id);
  if (current?.status === 'closed') {
    return (await refundLatePayment(ctx, current, { ...payment, amountFen: evidence.amountFen })) ? 'late_payment_refunded' : 'duplicate';
  }
  return 'duplicate';
}
