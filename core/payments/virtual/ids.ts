/**
 * The ids of our own operations on a virtual payment, derived from the order (or top-up) they
 * belong to, so that a retry (after a crash, a lost answer, from reconcile) repeats the same
 * operation and WeChat answers "repeated" instead of moving money twice. WeChat wants 8–32
 * characters of [0-9A-Za-z_-] for a refund's id (refund_order's `refund_order_id`) and gives no rule
 * for the others, so every id here keeps to that: our outTradeNo is `AI` + 30 characters
 * (core/orders/ids.ts), and each id replaces those two letters with its own.
 */
const BODY = /^AI([0-9A-Za-z]{30})$/;

function derived(prefix: string, outTradeNo: string): string {
  const body = BODY.exec(outTradeNo)?.[1];
  if (!body) throw new Error(`not one of our order numbers: ${outTradeNo}`);
  return `${prefix}${body}`;
}

/** refund_order's `refund_order_id` for a purchase's refund. */
export const refundOrderIdFor = (outTradeNo: string) => derived('RF', outTradeNo);
/** cancel_currency_pay's own `order_id` for the return of an answer's tokens. */
export const tokenReturnIdFor = (outTradeNo: string) => derived('RT', outTradeNo);
/** present_currency's `order_id` for a pack's bonus tokens. */
export const packBonusIdFor = (outTradeNo: string) => derived('BN', outTradeNo);

/** The purchase a refund_order_id of ours belongs to, or null. */
export function tradeOfRefundOrderId(refundOrderId: string): string | null {
  const match = /^RF([0-9A-Za-z]{30})$/.exec(refundOrderId);
  return match ? `AI${match[1]}` : null;
}

/** present_currency's `order_id` for a user's welcome tokens: one per user, so they are given once. */
export function welcomeIdFor(userHash: string): string {
  if (!/^[0-9a-f]{64}$/.test(userHash)) throw new Error('not a user hash');
  return `WT${userHash.slice(0, 30)}`;
}
