/**
 * What an order cost, and, when its answer failed, what went back: which tokens or how much money,
 * when it arrives, the order's number and whom to ask.
 *
 * When it arrives:
 * - Tokens are given back by virtual payment's `cancel_currency_pay`, which answers once the balance
 *   holds them again (docs/VIRTUAL-PAYMENT.md, "The server APIs this project calls"): at once.
 * - Money goes back the way it was paid. WeChat Pay's refund query documents the delay, and its
 *   pages disagree: "一般来说零钱支付的退款5分钟内到账，银行卡支付的退款1-3个工作日到账" (API v3,
 *   直连商户 查询单笔退款) and "用零钱支付的退款20分钟内到账，银行卡支付的退款3个工作日后重新查询退款状态"
 *   (平台商户 查询单笔退款); both pages are linked in docs/ARCHITECTURE.md. The page promises the longer
 *   of each and names WeChat Pay's own notice as final.
 */
import { yuanFromFen } from './format';
import { format, type Messages } from './i18n';
import type { Turn } from './types';

export function paidWithTokens(order: Turn): boolean {
  return order.payWith === 'tokens' || (order.amountTokens ?? 0) > 0;
}

/** "¥0.50" or "10 代币". */
export function amountText(order: Turn, t: Messages): string {
  return paidWithTokens(order) ? format(t.tokensAmount, { tokens: order.amountTokens ?? 0 }) : `¥${yuanFromFen(order.amountFen)}`;
}

/** The headline of an order whose answer failed: returning, or returned, with what. */
export function returnedHeadline(order: Turn, t: Messages): string {
  const tokens = paidWithTokens(order);
  if (order.status === 'refunding') return tokens ? t.tokensReturning : t.refunding;
  return tokens ? format(t.tokensReturned, { tokens: order.amountTokens ?? 0 }) : format(t.refunded, { amount: yuanFromFen(order.amountFen) });
}

/** The lines under it: what went back and when it arrives, the order's number, and the support contact when the operator set one. */
export function returnedLines(order: Turn, t: Messages, supportContact: string): string[] {
  const lines = paidWithTokens(order)
    ? [format(t.returnedTokens, { tokens: order.amountTokens ?? 0 })]
    : [format(t.returnedMoney, { amount: yuanFromFen(order.amountFen) }), t.returnedMoneyWhen];
  lines.push(format(t.returnedOrderNumber, { orderNumber: order.outTradeNo }));
  if (supportContact) lines.push(format(t.returnedContact, { contact: supportContact }));
  return lines;
}
