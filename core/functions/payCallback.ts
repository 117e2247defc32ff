import { log } from '../log';
import { ACKNOWLEDGED } from '../payments/callbackAnswer';
import { acceptPaymentEvidence, noticeEvidence } from '../payments/evidence';
import type { TriggerHandler } from './serve';

/**
 * The cloud-pay payment result. The platform calls this function, but the event is not signed:
 * the provider reads it as a hint (core/payments/cloudPayNotices.ts) and the payment is believed
 * only when its own `queryOrder` confirms it with the same amount (core/payments/evidence.ts).
 * Answers `{ errcode: 0 }` once handled; a thrown error (the provider could not be asked) makes
 * the platform call again.
 */
export const payCallback: TriggerHandler = async (ctx, event) => {
  const notice = ctx.payments.readNotice('cloudpay_payment_callback', { event, now: ctx.now() });
  if (notice.kind !== 'payment') {
    if (notice.kind !== 'ignored') log('warn', 'pay_callback_not_taken', { kind: notice.kind });
    return ACKNOWLEDGED;
  }
  await acceptPaymentEvidence(ctx, noticeEvidence(notice));
  return ACKNOWLEDGED;
};
