/**
 * What an order cost, as the order page and history say it: tokens ("5 代币") for an answer paid
 * from the balance, money ("¥0.50") for a purchase. Where the phone may show no payment
 * (services/platform.ts) the money messages are empty and nothing is shown.
 */
import { yuanFromFen } from './format';
import { format, type Messages } from './i18n';
import type { ClientOrder } from './types';

type Paid = Pick<ClientOrder, 'amountFen' | 'payWith' | 'amountTokens'>;

/** Older servers send no `payWith`: their orders were all paid with money. */
function paidWithTokens(order: Paid): boolean {
  return order.payWith === 'tokens';
}

/** "消耗：5 代币" or "金额：¥0.50". */
export function paidText(order: Paid, t: Messages): string {
  return paidWithTokens(order) ? format(t.paidTokens, { tokens: order.amountTokens ?? 0 }) : format(t.paidMoney, { amount: yuanFromFen(order.amountFen) });
}

/** "5 代币" or "¥0.50", for a list row. */
export function paidShortText(order: Paid, t: Messages): string {
  return paidWithTokens(order) ? format(t.paidTokensShort, { tokens: order.amountTokens ?? 0 }) : format(t.paidMoneyShort, { amount: yuanFromFen(order.amountFen) });
}

/** The final state of an answer that failed: its tokens returned, or its money refunded. */
export function returnedText(order: Paid, t: Messages): string {
  return paidWithTokens(order) ? format(t.tokensReturned, { tokens: order.amountTokens ?? 0 }) : format(t.refunded, { amount: yuanFromFen(order.amountFen) });
}

/** Why the failed answer costs nothing, in the words of how it was paid. */
export function returnedExplain(order: Paid, t: Messages): string {
  return paidWithTokens(order) ? t.tokensReturnedExplain : t.refundedExplain;
}
