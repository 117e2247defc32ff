import type { AppContext } from '../context';
import type { OrderDocument } from '../orders/order';
import { isTerminal } from '../orders/states';
import { readStreamSettings, type StreamSettings } from './settings';
import { issueStreamTicket } from './ticket';

let fromProcessEnv: StreamSettings | null = null;

/**
 * The settings of this context: `ctx.env.stream` once core/config/env.ts carries them, else read
 * once per instance from the function's own environment (which is what readEnv reads too).
 */
export function streamSettingsOf(ctx: AppContext): StreamSettings {
  const carried = (ctx.env as { stream?: StreamSettings }).stream;
  if (carried) return carried;
  fromProcessEnv ??= readStreamSettings(process.env);
  return fromProcessEnv;
}

/**
 * Where the page reads this order's text live (docs/STREAMING.md): `STREAM_BASE_URL` with the order
 * and a fresh ticket in the query. Only for the order's owner (the caller is authenticated by the
 * function that calls this), and only while the order can still change; undefined when streaming
 * is not configured.
 */
export function streamUrlFor(ctx: AppContext, order: OrderDocument): string | undefined {
  if (isTerminal(order.status)) return undefined;
  const { ticketSecret, baseUrl } = streamSettingsOf(ctx);
  if (!ticketSecret || !baseUrl) return undefined;
  const ticket = issueStreamTicket(ticketSecret, { orderId: order._id, userHash: order.userHash, now: ctx.now() });
  return `${baseUrl}?orderId=${encodeURIComponent(order._id)}&ticket=${encodeURIComponent(ticket)}`;
}
