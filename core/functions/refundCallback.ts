import { readField } from '../payments/fields';
import { checkRefund } from '../orders/lifecycle';
import { ACKNOWLEDGED } from '../payments/callbackAnswer';
import type { TriggerHandler } from './serve';

/**
 * The cloud-pay refund result. Its payload is poorly documented and not signed, so it is only a
 * hint: the order is found by its number and `queryRefund` decides (for a failed answer being
 * refunded, and for a late payment on a closed order alike).
 */
export const refundCallback: TriggerHandler = async (ctx, event) => {
  const outTradeNo = readField(event, 'outTradeNo');
  if (typeof outTradeNo !== 'string') return ACKNOWLEDGED;
  const order = await ctx.orders.findByOutTradeNo(outTradeNo);
  if (order && (order.status === 'refunding' || (order.status === 'closed' && order.refund))) await checkRefund(ctx, order._id);
  return ACKNOWLEDGED;
};
