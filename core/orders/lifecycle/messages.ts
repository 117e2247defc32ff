import type { AppContext } from '../../context';
import type { OrderDocument } from '../order';
import { orderStore } from '../store';
import { eraseSeal } from './erasure';

/**
 * The subscribe message's bookkeeping on the order (the sending itself is core/notify/subscribe.ts).
 * A message is sent at most once: the send is claimed first with a conditional update.
 */

/** Claims the one send of the order's message; false when another caller claimed it first. */
export function claimResultMessage(ctx: AppContext, order: OrderDocument): Promise<boolean> {
  const _ = ctx.db.command;
  return orderStore(ctx).patch(order._id, { 'subscription.sentAt': _.exists(false) }, { 'subscription.sentAt': ctx.now() }, false);
}

/** After the send, whatever its outcome: the sealed openid is erased; a failure is kept for the operator. */
export async function recordResultMessage(ctx: AppContext, order: OrderDocument, error: string | undefined): Promise<void> {
  const store = orderStore(ctx);
  await store.patch(order._id, {}, { ...eraseSeal(ctx, order), ...(error ? { 'subscription.lastError': error } : {}) }, false);
  if (!error) await store.audit({ orderId: order._id, type: 'subscribe_message_sent', at: ctx.now() });
}

/** No message will ever be sent for this order: its sealed openid goes. */
export async function eraseUnusedSeal(ctx: AppContext, order: OrderDocument): Promise<void> {
  if (order.subscription?.openidSealed === undefined) return;
  await orderStore(ctx).patch(order._id, {}, eraseSeal(ctx, order), false);
}
