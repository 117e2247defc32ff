/** Small pure formatting helpers shared by the pages. */

/** 499 → "4.99": prices are integers in fen on the server; never computed with floats here. */
export function yuanFromFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.round(fen));
  const cents = abs % 100;
  return `${sign}${Math.floor(abs / 100)}.${cents < 10 ? '0' : ''}${cents}`;
}

/** Characters as the server counts them (code points), so an emoji counts once on both sides. */
export function promptLength(prompt: string): number {
  let count = 0;
  for (const _ of prompt) count += 1;
  return count;
}

function pad(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** "2026-11-25 19:40" in the phone's local time. */
export function dateTime(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function orderPageUrl(orderId: string, paid = false): string {
  return `/pages/order/order?orderId=${encodeURIComponent(orderId)}${paid ? '&paid=1' : ''}`;
}

/** A conversation's page; `paidOrderId`: the turn whose sheet the user has just paid, shown as confirming. */
export function conversationPageUrl(conversationId: string, paidOrderId = ''): string {
  return `/pages/conversation/conversation?conversationId=${encodeURIComponent(conversationId)}${paidOrderId ? `&paid=${encodeURIComponent(paidOrderId)}` : ''}`;
}
