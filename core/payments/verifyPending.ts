import type { AppContext } from '../context';
import { log } from '../log';
import { claimPaymentQuery } from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import { confirmPayment, type ConfirmOutcome } from './confirm';

/** How often one order may be asked about at the provider. */
export const PAYMENT_QUERY_INTERVAL_MS = 5_000;

/**
 * Asks the provider whether a pending order was in fact paid (a late or lost notification), at
 * most once per interval per order however many callers ask at once.
 */
export async function queryPendingPayment(
  ctx: AppContext,
  order: OrderDocument,
  source: string,
  minIntervalMs = PAYMENT_QUERY_INTERVAL_MS,
): Promise<ConfirmOutcome | 'not_paid' | 'skipped'> {
  if (!(await claimPaymentQuery(ctx, order, minIntervalMs))) return 'skipped';
  try {
    const trade = await ctx.payments.queryOrder(order.outTradeNo);
    if (trade.state !== 'SUCCESS' || trade.amountFen === undefined) return 'not_paid';
    return await confirmPayment(ctx, {
      outTradeNo: order.outTradeNo,
      amountFen: trade.amountFen,
      ...(trade.transactionId ? { transactionId: trade.transactionId } : {}),
      source,
    });
  } catch (error) {
    log('warn', 'payment_query_failed', { orderId: order._id, error: String(error) });
    return 'skipped';
  }
}
