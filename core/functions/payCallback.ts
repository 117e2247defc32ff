import { readField } from '../payments/fields';
import { log } from '../log';
import { OUT_TRADE_NO_PATTERN } from '../orders/ids';
import { confirmPayment } from '../payments/confirm';
import { ACKNOWLEDGED } from '../payments/callbackAnswer';
import type { TriggerHandler } from './serve';

/**
 * The cloud-pay payment result. The platform calls this function, but so could anyone who can
 * call functions, and the event is not signed: it is taken as a hint and the payment is believed
 * only when the provider's own `queryOrder` confirms it with the same amount.
 * Answers `{ errcode: 0 }` once handled; a thrown error makes the platform call again.
 */
export const payCallback: TriggerHandler = async (ctx, event) => {
  if (readField(event, 'returnCode') !== 'SUCCESS' || readField(event, 'resultCode') !== 'SUCCESS') return ACKNOWLEDGED;
  const outTradeNo = readField(event, 'outTradeNo');
  const notifiedFen = Number(readField(event, 'totalFee'));
  if (typeof outTradeNo !== 'string' || !OUT_TRADE_NO_PATTERN.test(outTradeNo) || !Number.isInteger(notifiedFen)) {
    log('warn', 'pay_callback_malformed', {});
    return ACKNOWLEDGED;
  }
  // A repeat for an order already paid can change nothing: acknowledge it without asking the
  // provider (one network call saved per duplicate). Pending and closed orders still need the query.
  const order = await ctx.orders.findByOutTradeNo(outTradeNo);
  if (order && order.status !== 'pending_payment' && order.status !== 'closed') return ACKNOWLEDGED;
  const trade = await ctx.payments.queryOrder(outTradeNo);
  if (trade.state !== 'SUCCESS' && trade.state !== 'REFUND') {
    log('warn', 'pay_callback_not_confirmed_by_provider', { outTradeNo, state: trade.state });
    return ACKNOWLEDGED;
  }
  if (trade.amountFen !== notifiedFen) {
    log('error', 'pay_callback_amount_differs_from_provider', { outTradeNo, notifiedFen, providerFen: trade.amountFen ?? null });
  }
  const transactionId = trade.transactionId ?? readField(event, 'transactionId');
  await confirmPayment(ctx, {
    outTradeNo,
    // Both must match the order: what the callback claims and what the provider reports.
    amountFen: trade.amountFen === notifiedFen ? notifiedFen : -1,
    ...(typeof transactionId === 'string' ? { transactionId } : {}),
    source: 'cloudpay_callback',
  }, order);
  return ACKNOWLEDGED;
};
