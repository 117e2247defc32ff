/**
 * The WeChat side of paying. The sheet's answer is only what the user did on the phone: it is
 * never proof of payment (WeChat Pay docs: the payment result is confirmed by the notification or an order query), so a success only sends the user to the order page,
 * which waits for the server's confirmation.
 */
import type { RequestPaymentParams } from './types';

export type PayOutcome = { kind: 'paid' } | { kind: 'cancelled' } | { kind: 'failed'; reason: string };

const CANCELLED = 'requestPayment:fail cancel';

/** Opens the WeChat Pay sheet with the server's parameters, unchanged (also for paying again). */
export function openPaymentSheet(payment: RequestPaymentParams): Promise<PayOutcome> {
  return new Promise((resolve) => {
    wx.requestPayment({
      timeStamp: payment.timeStamp,
      nonceStr: payment.nonceStr,
      package: payment.package,
      signType: payment.signType,
      paySign: payment.paySign,
      success: () => resolve({ kind: 'paid' }),
      fail: (error: { errMsg?: string }) => {
        const errMsg = typeof error?.errMsg === 'string' ? error.errMsg : '';
        if (errMsg === CANCELLED) resolve({ kind: 'cancelled' });
        else resolve({ kind: 'failed', reason: errMsg.replace(/^requestPayment:fail\s*/, '') || 'unknown' });
      },
    });
  });
}

/**
 * Offers the one-time subscribe message. Must be called straight from the user's tap (WeChat
 * refuses it otherwise), before anything is awaited. True only when this template was accepted.
 */
export function askToSubscribe(templateId: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      wx.requestSubscribeMessage({
        tmplIds: [templateId],
        success: (answer) => resolve(answer[templateId] === 'accept'),
        fail: () => resolve(false),
      });
    } catch {
      resolve(false);
    }
  });
}
