import { log } from '../log';
import { checkRefund } from '../orders/lifecycle';
import { ACKNOWLEDGED } from '../payments/callbackAnswer';
import { refundOutstanding } from '../payments/refunds';
import type { TriggerHandler } from './serve';

/**
 * The cloud-pay refund result: a hint, never a fact (core/payments/cloudPayNotices.ts reads it).
 * It only names an order, whose refund `queryRefund` then decides, as reconcile would. An event
 * that names no order of ours changes nothing and is acknowledged: reconcile asks about every
 * outstanding refund anyway.
 */
export const refundCallback: TriggerHandler = async (ctx, event) => {
  const notice = ctx.payments.readNotice('cloudpay_refund_callback', { event, now: ctx.now() });
  if (notice.kind !== 'refund') {
    if (notice.kind !== 'ignored') log('warn', 'refund_callback_not_taken', { kind: notice.kind });
    return ACKNOWLEDGED;
  }
  const order = await ctx.orders.findByOutTradeNo(notice.outTradeNo);
  if (order && refundOutstanding(order)) await checkRefund(ctx, order._id);
  return ACKNOWLEDGED;
};
