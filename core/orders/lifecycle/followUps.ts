import type { AppContext } from '../../context';
import { sendResultMessage } from '../../notify/subscribe';
import type { OrderDocument } from '../order';
import { eraseUnusedSeal } from './messages';

/** A finished order (completed or refunded): the message the user subscribed to; the sealed openid never outlives this. */
export async function tellUser(ctx: AppContext, order: OrderDocument): Promise<void> {
  const outcome = await sendResultMessage(ctx, order);
  // Sent or failed, the message's own bookkeeping erased it; otherwise nothing will ever use it.
  if (outcome === 'not_sent') await eraseUnusedSeal(ctx, order);
}
