import { AppError } from '../errors';
import { log } from '../log';
import { closeUnpaid, recordProviderClosed } from '../orders/lifecycle';
import { toClientOrder } from '../orders/order';
import { findOwnOrder } from '../orders/ownership';
import { acceptPaymentEvidence, type EvidenceOutcome } from '../payments/evidence';
import { requiredString } from './input';
import type { ClientHandler } from './serve';

export const cancelOrder: ClientHandler = async (ctx, input, caller) => {
  const orderId = requiredString(input, 'orderId', 64);
  const order = await findOwnOrder(ctx, caller, orderId);
  if (order.status !== 'pending_payment') {
    throw new AppError('INVALID_STATE', `only an order waiting for payment can be cancelled; this one is ${order.status}`, { order: toClientOrder(order) });
  }
  // The page's "cancelled" is no proof: if the money in fact arrived, the order goes on as paid.
  let outcome: EvidenceOutcome | null = null;
  try {
    outcome = await acceptPaymentEvidence(ctx, { outTradeNo: order.outTradeNo, amountFen: null, verified: false, source: 'query_order_on_cancel' }, order);
  } catch (error) {
    log('warn', 'payment_query_failed_on_cancel', { orderId, error: String(error) });
  }
  if (outcome === 'confirmed' || outcome === 'duplicate') {
    const paid = await findOwnOrder(ctx, caller, orderId);
    throw new AppError('INVALID_STATE', 'this order has already been paid', { order: toClientOrder(paid) });
  }
  const closed = await closeUnpaid(ctx, order, { reason: 'cancelled_by_user' });
  if (!closed) {
    const current = await findOwnOrder(ctx, caller, orderId);
    throw new AppError('INVALID_STATE', `the order is ${current.status} now`, { order: toClientOrder(current) });
  }
  // Cloud pay refuses to close an order in its first 5 minutes; reconcile closes it later then.
  try {
    if (await ctx.payments.closeOrder(order.outTradeNo)) await recordProviderClosed(ctx, closed);
  } catch (error) {
    log('warn', 'provider_close_deferred', { orderId, error: String(error) });
  }
  return { order: toClientOrder(closed) };
};
