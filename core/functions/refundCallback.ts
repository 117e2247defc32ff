import { logShapeOnce, readField } from '../payments/fields';
import { tradeOfRefund } from '../payments/cloudPayRefundAnswer';
import { refundOutstanding } from '../payments/refunds';
import { checkRefund } from '../orders/lifecycle';
import { OUT_TRADE_NO_PATTERN } from '../orders/ids';
import { ACKNOWLEDGED } from '../payments/callbackAnswer';
import type { TriggerHandler } from './serve';

/** The trade the event names, directly or through a refund number of ours; never anything else. */
function tradeNamed(event: Record<string, unknown>): string | undefined {
  const outTradeNo = readField(event, 'outTradeNo');
  if (typeof outTradeNo === 'string' && OUT_TRADE_NO_PATTERN.test(outTradeNo)) return outTradeNo;
  const outRefundNo = readField(event, 'outRefundNo');
  return typeof outRefundNo === 'string' ? tradeOfRefund(outRefundNo) : undefined;
}

/**
 * The cloud-pay refund result: a hint, never a fact. WeChat documents no event for cloud pay's
 * refund callback (CloudPay.refund's page refers to the payment callback's protocol); a v2 refund
 * notification carries its facts AES-encrypted in `req_info` with a key the functions do not hold
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16), and one report shows the event
 * arriving as plain camelCase fields (`{"appid","mchId","nonceStr","outRefundNo","outTradeNo",…}`,
 * https://developers.weixin.qq.com/community/personal/oCJUsw3wPZ3uGJE3o8Ima7tweSY8/question).
 * Nothing in it is signed, and anyone who can call functions could send it. So whatever it says
 * (a status, an amount, a `req_info`), it only names an order, whose refund `queryRefund` then
 * decides, exactly as reconcile would. An event that names no order of ours changes nothing and is
 * acknowledged: reconcile asks about every outstanding refund anyway.
 */
export const refundCallback: TriggerHandler = async (ctx, event) => {
  logShapeOnce('info', 'cloudpay_refund_callback_shape', event);
  const outTradeNo = tradeNamed(event);
  if (!outTradeNo) {
    logShapeOnce('warn', 'refund_callback_names_no_order', event, { encrypted: readField(event, 'reqInfo') !== undefined });
    return ACKNOWLEDGED;
  }
  const order = await ctx.orders.findByOutTradeNo(outTradeNo);
  if (order && refundOutstanding(order)) await checkRefund(ctx, order._id);
  return ACKNOWLEDGED;
};
