/**
 * What an order cost, as the pages say it, and, when its answer failed, what went back: tokens
 * ("5 代币") for an answer paid from the balance, money ("¥0.50") for a purchase. Where the phone
 * may show no payment (services/platform.ts) the money messages are empty and nothing of them is
 * shown (services/i18n.ts, NO_PAYMENT).
 *
 * When what went back arrives:
 * - Tokens are given back by virtual payment's `cancel_currency_pay`, which answers once the balance
 *   holds them again (docs/VIRTUAL-PAYMENT.md, "The server APIs this project calls"): at once.
 * - Money goes back the way it was paid. WeChat Pay's refund query documents the delay, and its
 *   pages disagree: "一般来说零钱支付的退款5分钟内到账，银行卡支付的退款1-3个工作日到账" (API v3,
 *   直连商户 查询单笔退款) and "用零钱支付的退款20分钟内到账，银行卡支付的退款3个工作日后重新查询退款状态"
 *   (平台商户 查询单笔退款); both pages are linked in docs/ARCHITECTURE.md. The pages promise the
 *   longer of each and name WeChat Pay's own notice as final.
 */
import { yuanFromFen } from './format';
import { format, type Messages } from './i18n';
import type { ClientOrder } from './types';

type Paid = Pick<ClientOrder, 'amountFen' | 'payWith' | 'amountTokens'>;

/** Older servers send no `payWith`: their orders were all paid with money. */
export function paidWithTokens(order: Paid): boolean {
  return order.payWith === 'tokens';
}

/** "消耗：5 代币" or "金额：¥0.50". */
export function paidText(order: Paid, t: Messages): string {
  return paidWithTokens(order) ? format(t.paidTokens, { tokens: order.amountTokens ?? 0 }) : format(t.paidMoney, { amount: yuanFromFen(order.amountFen) });
}

/** "5 代币" or "¥0.50", for a list row or beside an answer. */
export function paidShortText(order: Paid, t: Messages): string {
  return paidWithTokens(order) ? format(t.paidTokensShort, { tokens: order.amountTokens ?? 0 }) : format(t.paidMoneyShort, { amount: yuanFromFen(order.amountFen) });
}

/** The headline of an order whose answer failed: what is going back, or what went back. */
export function returnedHeadline(order: Paid & Pick<ClientOrder, 'status'>, t: Messages): string {
  const tokens = paidWithTokens(order);
  if (order.status === 'refunding') return tokens ? t.tokensReturning : t.refunding;
  return tokens ? format(t.tokensReturned, { tokens: order.amountTokens ?? 0 }) : format(t.refunded, { amount: yuanFromFen(order.amountFen) });
}

/** Why the failed answer costs nothing, in the words of how it was paid. */
export function returnedExplain(order: Paid, t: Messages): string {
  return paidWithTokens(order) ? t.tokensReturnedExplain : t.refundedExplain;
}

/** The lines under it: what went back and when it arrives, the order's number, and the support contact when the operator set one. */
export function returnedLines(order: Paid & Pick<ClientOrder, 'outTradeNo'>, t: Messages, supportContact: string): string[] {
  const lines = paidWithTokens(order)
    ? [format(t.returnedTokens, { tokens: order.amountTokens ?? 0 })]
    : [format(t.returnedMoney, { amount: yuanFromFen(order.amountFen) }), t.returnedMoneyWhen];
  lines.push(format(t.returnedOrderNumber, { orderNumber: order.outTradeNo }));
  if (supportContact) lines.push(format(t.returnedContact, { contact: supportContact }));
  return lines.filter((line) => line !== '');
}
