import type { AppContext } from '../context';
import { log } from '../log';
import { claimPaymentQuery } from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import { acceptPaymentEvidence, type EvidenceOutcome } from './evidence';
import { resumeSpend } from './tokenSpend';

/** How often one order may be asked about at the provider. */
export const PAYMENT_QUERY_INTERVAL_MS = 5_000;

/**
 * Asks the provider whether a pending order was in fact paid (a late or lost notification), at
 * most once per interval per order however many callers ask at once. A provider that cannot be
 * asked now is skipped: the next caller (the page, reconcile) asks again.
 */
export async function queryPendingPayment(
  ctx: AppContext,
  order: OrderDocument,
  source: string,
  minIntervalMs = PAYMENT_QUERY_INTERVAL_MS,
): Promise<EvidenceOutcome | 'skipped'> {
  if (!(await claimPaymentQuery(ctx, order, minIntervalMs))) return 'skipped';
  if (order.payWith === 'tokens') {
    // A spend cannot be queried (query_order sees cash orders only): it is made again, idempotently.
    const spent = await resumeSpend(ctx, order, source);
    return spent === 'paid' ? 'confirmed' : spent === 'unknown' ? 'skipped' : 'not_paid';
  }
  try {
    return await acceptPaymentEvidence(ctx, { outTradeNo: order.outTradeNo, amountFen: null, verified: false, source }, order);
  } catch (error) {
    log('warn', 'payment_query_failed', { orderId: order._id, error: String(error) });
    return 'skipped';
  }
}
