import type { AppContext } from '../../context';
import type { OrderDocument } from '../order';
import { orderStore } from '../store';
import { erasePayer } from './erasure';

/**
 * 发货信息管理's bookkeeping on a completed order (the upload itself is core/compliance/shipping.ts).
 * Each attempt is claimed with a conditional update, so the completion follow-up and reconcile
 * never upload the same order at once.
 */

/** The attempt a caller holds: the order as it was claimed. */
export interface ShippingAttempt {
  orderId: string;
  attempt: number;
  at: number;
}

const held = (attempt: ShippingAttempt) => ({ status: 'completed' as const, 'shipping.status': 'uploading' as const, 'shipping.attempts': attempt.attempt });

/** Takes the next attempt when the order's shipping is still as the caller read it; null when someone else took it. */
export async function claimShippingAttempt(ctx: AppContext, order: OrderDocument): Promise<ShippingAttempt | null> {
  const shipping = order.shipping;
  if (!shipping) return null;
  const attempt = { orderId: order._id, attempt: shipping.attempts + 1, at: ctx.now() };
  const claimed = await orderStore(ctx).patch(
    order._id,
    { status: 'completed', 'shipping.status': shipping.status, 'shipping.attempts': shipping.attempts },
    { 'shipping.status': 'uploading', 'shipping.attempts': attempt.attempt, 'shipping.lastAttemptAt': attempt.at },
    false,
  );
  return claimed ? attempt : null;
}

/** The upload succeeded: the payer's openid is no longer needed. */
export async function recordShippingUploaded(ctx: AppContext, order: OrderDocument, attempt: ShippingAttempt, by: string): Promise<void> {
  const store = orderStore(ctx);
  await store.patch(order._id, held(attempt), { shipping: { status: 'uploaded', attempts: attempt.attempt, lastAttemptAt: attempt.at, uploadedAt: ctx.now() }, ...erasePayer(ctx, order) }, false);
  await store.audit({ orderId: order._id, type: 'shipping_uploaded', at: ctx.now(), detail: { attempt: attempt.attempt, by } });
}

/** The upload failed: retried later by reconcile, or left to an operator (`gaveUp`, and the payer's openid goes). */
export async function recordShippingFailed(
  ctx: AppContext,
  order: OrderDocument,
  attempt: ShippingAttempt,
  failure: { by: string; errCode?: number; message: string; gaveUp: boolean },
): Promise<void> {
  const store = orderStore(ctx);
  const lastError = failure.errCode !== undefined ? `errCode ${failure.errCode}: ${failure.message}` : failure.message;
  await store.patch(
    order._id,
    held(attempt),
    { 'shipping.status': failure.gaveUp ? 'gave_up' : 'failed', 'shipping.lastError': lastError.slice(0, 200), ...(failure.gaveUp ? erasePayer(ctx, order) : {}) },
    false,
  );
  await store.audit({
    orderId: order._id,
    type: 'shipping_upload_failed',
    at: ctx.now(),
    detail: { attempt: attempt.attempt, by: failure.by, ...(failure.errCode !== undefined ? { errCode: failure.errCode } : {}), error: failure.message, gaveUp: failure.gaveUp },
  });
}
