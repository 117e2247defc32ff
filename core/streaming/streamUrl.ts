import type { AppContext } from '../context';
import { toClientOrder, type ClientOrder, type OrderDocument } from '../orders/order';
import { isTerminal } from '../orders/states';
import { issueStreamTicket } from './ticket';

/**
 * Where the page reads this order's text live (docs/STREAMING.md): `STREAM_BASE_URL` with the order
 * and a fresh ticket in the query. Only for the order's owner (the caller is authenticated by the
 * function that calls this), and only while the order can still change; undefined when streaming
 * is not configured.
 */
export function streamUrlFor(ctx: AppContext, order: OrderDocument): string | undefined {
  if (isTerminal(order.status)) return undefined;
  const { ticketSecret, baseUrl } = ctx.env.stream;
  if (!ticketSecret || !baseUrl) return undefined;
  const ticket = issueStreamTicket(ticketSecret, { orderId: order._id, userHash: order.userHash, now: ctx.now() });
  return `${baseUrl}?orderId=${encodeURIComponent(order._id)}&ticket=${encodeURIComponent(ticket)}`;
}

/** The order as its owner sees it, with its live-text URL while it can still change. */
export function clientOrderWithStream(ctx: AppContext, order: OrderDocument): ClientOrder {
  const streamUrl = streamUrlFor(ctx, order);
  return { ...toClientOrder(order), ...(streamUrl ? { streamUrl } : {}) };
}
