import { OUT_TRADE_NO_PATTERN } from '../orders/ids';
import { tradeOfRefund } from './cloudPayRefundAnswer';
import { logShapeOnce, readField } from './fields';
import type { NoticeChannel, NoticeInput, NoticeReading } from './provider';

/** The trade a refund callback names, directly or through a refund number of ours; never anything else. */
function tradeNamed(event: Record<string, unknown>): string | undefined {
  const outTradeNo = readField(event, 'outTradeNo');
  if (typeof outTradeNo === 'string' && OUT_TRADE_NO_PATTERN.test(outTradeNo)) return outTradeNo;
  const outRefundNo = readField(event, 'outRefundNo');
  return typeof outRefundNo === 'string' ? tradeOfRefund(outRefundNo) : undefined;
}

/**
 * What CloudBase cloud pay's callbacks say. Neither is signed, and any function caller could send
 * one, so each is only a hint: ./evidence.ts believes a payment (and the refund code a refund)
 * only when the provider's own query agrees.
 *
 * The payment-result callback is an invocation of the function named in `unifiedOrder`, with an
 * event in camelCase (`returnCode`, `resultCode`, `outTradeNo`, `totalFee`, `transactionId`, …),
 * sent only on success
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/CloudPay.unifiedOrder.html,
 * "支付结果回调"). Paid only when both `returnCode` and `resultCode` are SUCCESS.
 *
 * The refund-result callback: a hint, never a fact. WeChat documents no event for cloud pay's
 * refund callback (CloudPay.refund's page refers to the payment callback's protocol); a v2 refund
 * notification carries its facts AES-encrypted in `req_info` with a key the functions do not hold
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16), and one report shows the event
 * arriving as plain camelCase fields (`{"appid","mchId","nonceStr","outRefundNo","outTradeNo",…}`,
 * https://developers.weixin.qq.com/community/personal/oCJUsw3wPZ3uGJE3o8Ima7tweSY8/question).
 * Whatever it says (a status, an amount, a `req_info`), it only names an order, whose refund
 * `queryRefund` then decides, exactly as reconcile would.
 */
export function readCloudPayNotice(channel: NoticeChannel, input: NoticeInput): NoticeReading {
  const event = input.event;
  if (channel === 'cloudpay_payment_callback') {
    if (readField(event, 'returnCode') !== 'SUCCESS' || readField(event, 'resultCode') !== 'SUCCESS') return { kind: 'ignored', reason: 'not a successful payment' };
    const outTradeNo = readField(event, 'outTradeNo');
    const totalFee = Number(readField(event, 'totalFee'));
    const transactionId = readField(event, 'transactionId');
    if (typeof outTradeNo !== 'string' || !OUT_TRADE_NO_PATTERN.test(outTradeNo) || !Number.isInteger(totalFee)) return { kind: 'ignored', reason: 'malformed' };
    return {
      kind: 'payment',
      outTradeNo,
      amountFen: totalFee,
      ...(typeof transactionId === 'string' ? { transactionId } : {}),
      verified: false,
      source: 'cloudpay_callback',
    };
  }
  if (channel === 'cloudpay_refund_callback') {
    logShapeOnce('info', 'cloudpay_refund_callback_shape', event);
    const outTradeNo = tradeNamed(event);
    if (!outTradeNo) {
      logShapeOnce('warn', 'refund_callback_names_no_order', event, { encrypted: readField(event, 'reqInfo') !== undefined });
      return { kind: 'ignored', reason: 'names no order' };
    }
    const outRefundNo = readField(event, 'outRefundNo');
    return { kind: 'refund', outTradeNo, ...(typeof outRefundNo === 'string' ? { outRefundNo } : {}), verified: false, source: 'cloudpay_refund_callback' };
  }
  return { kind: 'not_mine' };
}
