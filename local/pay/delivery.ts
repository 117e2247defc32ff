import { callers } from '../functions/callers';
import type { FunctionHost } from '../functions/host';
import type { PaySimulator, PaymentNotification, RefundRecord } from './simulator';
import { postNotification, refundResource, signedNotification, transactionResource } from './v3Api';
import type { LocalV3Keys } from './v3Keys';

const NOTIFY_RETRY_MS = [500, 1_000, 2_000, 4_000];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** WeChat Pay's retry loop: a notification not acknowledged is sent again, re-signed each time. */
async function withRetries(attempt: () => Promise<boolean>): Promise<boolean> {
  for (let tries = 0; ; tries += 1) {
    if (await attempt().catch(() => false)) return true;
    const wait = NOTIFY_RETRY_MS[tries];
    if (wait === undefined) return false;
    await sleep(wait);
  }
}

function compactBeijing(at: number): string {
  return new Date(at + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14);
}

export interface PayDelivery {
  payment: (notification: PaymentNotification) => Promise<boolean>;
  refund: (refund: RefundRecord) => Promise<void>;
  readonly counts: { genuine: number; tampered: number };
}

/**
 * How payment results reach the functions: an API v3 notification POSTed to the trade's
 * notify_url (signed with the local platform key), or the cloud-pay callback, an invocation of the
 * function named in unifiedOrder (a payment) or in refund (a refund) with SOURCE `wx_paycallback`
 * and the camelCase event cloud pay sends (https://developers.weixin.qq.com/miniprogram/dev/wxcloud/reference-sdk-api/open/pay/CloudPay.unifiedOrder.html,
 * "支付结果回调"; a refund's event: `PaySimulator.refundCallbackEvent`); it is acknowledged by
 * `{ errcode: 0 }`, and sent again until it is.
 */
export function createPayDelivery(parts: { host: () => FunctionHost; simulator: () => PaySimulator; keys: () => LocalV3Keys; subMchId: string }): PayDelivery {
  const counts = { genuine: 0, tampered: 0 };
  const callback = (name: string, event: Record<string, unknown>) => parts.host().invoke(name, event, callers.payCallback());

  const payment = async (notification: PaymentNotification): Promise<boolean> => {
    counts[notification.tampered ? 'tampered' : 'genuine'] += 1;
    const { trade, tampered } = notification;
    if (trade.channel === 'v3' && trade.notifyUrl) {
      const notifyUrl = trade.notifyUrl;
      const tamper = tampered ? (resource: Record<string, unknown>) => ({ ...resource, amount: { total: trade.amountFen + 1, payer_total: trade.amountFen + 1, currency: 'CNY', payer_currency: 'CNY' } }) : undefined;
      return withRetries(() => postNotification(notifyUrl, signedNotification(parts.keys(), 'TRANSACTION.SUCCESS', '支付成功', transactionResource(parts.keys(), trade), tamper)));
    }
    const fee = tampered ? trade.amountFen + 1 : trade.amountFen;
    const event = {
      returnCode: 'SUCCESS',
      resultCode: 'SUCCESS',
      outTradeNo: trade.outTradeNo,
      transactionId: trade.transactionId,
      totalFee: fee,
      cashFee: fee,
      subMchId: parts.subMchId,
      tradeType: 'JSAPI',
      bankType: 'OTHERS',
      feeType: 'CNY',
      timeEnd: compactBeijing(trade.paidAt ?? Date.now()),
    };
    return withRetries(async () => ((await callback(trade.callbackFunction, event)) as { errcode?: number } | undefined)?.errcode === 0);
  };

  const refund = async (record: RefundRecord): Promise<void> => {
    if (record.channel === 'v3') {
      const notifyUrl = record.notifyUrl;
      if (!notifyUrl) return;
      const trade = await parts.simulator().trade(record.outTradeNo);
      await withRetries(() => postNotification(notifyUrl, signedNotification(parts.keys(), `REFUND.${record.state}`, '退款成功', refundResource(parts.keys(), record, trade))));
      return;
    }
    // Cloud pay calls the function the refund request named, and none when it named none.
    const callbackFunction = record.callbackFunction;
    if (!callbackFunction) return;
    const event = await parts.simulator().refundCallbackEvent(record, parts.subMchId);
    await withRetries(async () => ((await callback(callbackFunction, event)) as { errcode?: number } | undefined)?.errcode === 0);
  };

  return { payment, refund, counts };
}
