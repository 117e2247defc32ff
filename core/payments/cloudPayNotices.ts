import { OUT_TRADE_NO_PATTERN } from '../orders/ids';
import { readField } from './fields';
import type { NoticeChannel, NoticeInput, NoticeReading } from './provider';

/**
 * What CloudBase cloud pay's callbacks say. Neither is signed, and any function caller could send
 * one, so each is only a hint: ./evidence.ts believes a payment (and the refund code a refund)
 * only when the provider's own query agrees.
 *
 * The payment-result callback is an invocation of the function named in `unifiedOrder`, with an
 * event in camelCase (`returnCode`, `resultCode`, `outTradeNo`, `totalFee`, `transactionId`, …),
 * sent only on success
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/CloudPay.unifiedOrder.html,
 * "支付结果回调"). Paid only when both `returnCode` and `resultCode` are SUCCESS. The refund-result
 * callback's event is not documented: only the order number is taken from it, in either spelling.
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
    const outTradeNo = readField(event, 'outTradeNo');
    const outRefundNo = readField(event, 'outRefundNo');
    if (typeof outTradeNo !== 'string' || !OUT_TRADE_NO_PATTERN.test(outTradeNo)) return { kind: 'ignored', reason: 'malformed' };
    return { kind: 'refund', outTradeNo, ...(typeof outRefundNo === 'string' ? { outRefundNo } : {}), verified: false, source: 'cloudpay_refund_callback' };
  }
  return { kind: 'not_mine' };
}
