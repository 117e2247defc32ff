import type { AppContext } from '../../context';
import { log } from '../../log';
import type { OrderDocument } from '../order';
import { orderStore } from '../store';

/**
 * The subscribe message's bookkeeping on the order (the sending itself is core/notify/subscribe.ts).
 * A message is sent at most once: the send is claimed first with a conditional update.
 */

/**
 * Claims the one send of an order's message: true when this caller holds it. A claim whose answer
 * was lost may or may not have happened; the order then tells: no claim on it means nobody has one
 * (claimed again, once), a claim on it may be ours or another caller's, and is left alone so that
 * the message goes out at most once (it may then not go out at all).
 */
export async function claimResultMessage(ctx: AppContext, order: OrderDocument): Promise<boolean> {
  const _ = ctx.db.command;
  const claim = () => orderStore(ctx).patch(order._id, { 'subscription.sentAt': _.exists(false) }, { 'subscription.sentAt': ctx.now() }, false);
  try {
    return await claim();
  } catch (error) {
    const current = await ctx.orders.findById(order._id);
    if (current?.subscription?.sentAt !== undefined) {
      log('warn', 'subscribe_message_claim_unknown', { orderId: order._id, error: String(error) });
      return false;
    }
    return claim();
  }
}

/** How a claimed send ended, for the order and its audit log. */
export interface ResultMessageOutcome {
  outcome: 'sent' | 'refused' | 'failed';
  /** Kept on the order for the operator when the message did not go out. */
  lastError?: string;
  errCode?: number;
}

/** The sealed openid goes once the send is decided, whatever the outcome (one retry of a failed erase). */
async function eraseSealNow(ctx: AppContext, orderId: string, lastError?: string): Promise<void> {
  const erase = () =>
    orderStore(ctx).patch(orderId, {}, { 'subscription.openidSealed': ctx.db.command.remove(), ...(lastError ? { 'subscription.lastError': lastError } : {}) }, false);
  await erase().catch(erase);
}

/** After the send, whatever its outcome: the sealed openid is erased; a failure is kept for the operator. */
export async function recordResultMessage(ctx: AppContext, order: OrderDocument, result: ResultMessageOutcome): Promise<void> {
  await eraseSealNow(ctx, order._id, result.lastError);
  await orderStore(ctx).audit({
    orderId: order._id,
    type: `subscribe_message_${result.outcome}`,
    at: ctx.now(),
    ...(result.errCode !== undefined ? { detail: { errCode: result.errCode } } : {}),
  });
}

/**
 * No message will ever be sent for this order by this caller: its sealed openid goes. Whoever holds
 * a claim sends with the openid it already read; a claim that is nobody's (its answer lost) must not
 * keep the seal.
 */
export async function eraseUnusedSeal(ctx: AppContext, order: OrderDocument): Promise<void> {
  if (order.subscription?.openidSealed === undefined) return;
  await eraseSealNow(ctx, order._id);
}
