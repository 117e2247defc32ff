import type { AppContext } from '../context';
import { log } from '../log';
import { markPaid, recordRefusedEvidence, refundLatePayment } from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import { hashOpenid } from '../security/identity';
import { providerCall } from './retryPolicy';

/** Something that says an order was paid: a notification, a callback, a provider's answer. */
export interface PaymentEvidence {
  outTradeNo: string;
  /** What it says was paid, in fen; null when it does not say (then the provider's query does). */
  amountFen: number | null;
  transactionId?: string;
  /** The payer it names, when it names one: it must be the order's own user. */
  payerOpenid?: string;
  /**
   * true: believed as it is (a notification whose signature the provider checked, or the
   * provider's own answer in this call); false: a hint, confirmed with the provider's query first.
   */
  verified: boolean;
  /** Where it came from: 'cloudpay_callback', 'v3_notification', 'query_order_by_page', … */
  source: string;
}

export type EvidenceOutcome =
  | 'confirmed'
  | 'duplicate'
  | 'not_paid'
  | 'amount_mismatch'
  | 'payer_mismatch'
  | 'unknown_order'
  | 'late_payment_refunded';

/**
 * The one path by which money is believed, whatever the mode and wherever the evidence came from
 * (a callback, a signed notification, a push, the page's or reconcile's query, a cancel that finds
 * the order paid):
 * 1. a hint is confirmed with the provider's own `queryOrder`, whose answer then stands (a hint
 *    whose amount differs from the provider's is refused);
 * 2. one rule for a payment that does not fit the order, another amount or another payer: never
 *    believed, recorded once (`recordRefusedEvidence`: an audit event and an error log line for the
 *    operator) and acknowledged, since hearing it again would change nothing;
 * 3. an order of the right amount becomes paid exactly once (`markPaid`, a conditional update:
 *    every duplicate changes nothing), and money for an order that closed meanwhile goes back
 *    (`refundLatePayment`).
 * A provider that cannot be asked throws (`PaymentUnavailableError`, after ./retryPolicy.ts's
 * retries): a callback then fails so that the platform sends it again, and reconcile asks later.
 */
export async function acceptPaymentEvidence(ctx: AppContext, evidence: PaymentEvidence, known?: OrderDocument | null): Promise<EvidenceOutcome> {
  const order = known !== undefined ? known : await ctx.orders.findByOutTradeNo(evidence.outTradeNo);
  if (!order) {
    log('warn', 'payment_for_unknown_order', { outTradeNo: evidence.outTradeNo, source: evidence.source });
    return 'unknown_order';
  }
  // Paid already (or further): nothing any evidence says can change it, so the provider is not asked.
  if (order.status !== 'pending_payment' && order.status !== 'closed') return 'duplicate';

  let amountFen = evidence.amountFen;
  let transactionId = evidence.transactionId;
  let payerOpenid = evidence.payerOpenid;
  if (!evidence.verified) {
    const trade = await providerCall(ctx.clock, 'query', () => ctx.payments.queryOrder(order.outTradeNo));
    if (trade.state !== 'SUCCESS' && trade.state !== 'REFUND') return 'not_paid';
    if (trade.amountFen === undefined || (evidence.amountFen !== null && trade.amountFen !== evidence.amountFen)) {
      await recordRefusedEvidence(ctx, order, { reason: 'amount_mismatch', expectedFen: order.amountFen, notifiedFen: evidence.amountFen, providerFen: trade.amountFen ?? null, source: evidence.source });
      return 'amount_mismatch';
    }
    amountFen = trade.amountFen;
    transactionId = trade.transactionId ?? transactionId;
    payerOpenid = trade.payerOpenid ?? payerOpenid;
  }
  if (payerOpenid !== undefined && hashOpenid(payerOpenid, ctx.env.openidHashSecret) !== order.userHash) {
    await recordRefusedEvidence(ctx, order, { reason: 'payer_mismatch', source: evidence.source });
    return 'payer_mismatch';
  }
  if (amountFen !== order.amountFen) {
    await recordRefusedEvidence(ctx, order, { reason: 'amount_mismatch', expectedFen: order.amountFen, notifiedFen: amountFen, source: evidence.source });
    return 'amount_mismatch';
  }
  const payment = { ...(transactionId ? { transactionId } : {}), source: evidence.source };
  if (order.status === 'pending_payment' && (await markPaid(ctx, order, payment))) return 'confirmed';
  const current = order.status === 'closed' ? order : await ctx.orders.findById(order._id);
  if (current?.status === 'closed') {
    return (await refundLatePayment(ctx, current, { ...payment, amountFen: order.amountFen })) ? 'late_payment_refunded' : 'duplicate';
  }
  return 'duplicate';
}
