import { log } from '../log';
import { checkRefund } from '../orders/lifecycle';
import { ACKNOWLEDGED } from '../payments/callbackAnswer';
import type { TriggerHandler } from './serve';

/**
 * The cloud-pay refund result. Its payload is poorly documented and not signed, so it is only a
 * hint: the order is found by its number and `queryRefund` decides (for a failed answer being
 * refunded, and for a late payment on a closed order alike).
 */
export const refundCallback: TriggerHandler = async (ctx, event) => {
  const notice = ctx.payments.readNotice('cloudpay_refund_callback', { event, now: ctx.now() });
  if (notice.kind !== 'refund') {
    if (notice.kind !== 'ignored') log('warn', 'refund_callback_not_taken', { kind: notice.kind });
    return ACKNOWLEDGED;
  }
  const order = await ctx.orders.findByOutTradeNo(notice.outTradeNo);
  if (order && (order.status === 'refunding' || (order.status === 'closed' && order.refund))) await checkRefund(ctx, order._id);
  return ACKNOWLEDGED;
};
