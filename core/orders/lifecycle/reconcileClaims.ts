import type { AppContext } from '../../context';
import type { OrderDocument } from '../order';
import { orderStore } from '../store';

/** A claim by one reconcile run keeps another (running at the same time) off the same order; a crashed run's claim lapses. */
export const RECONCILE_CLAIM_MS = 90_000;

/**
 * Claims an order for one reconcile run. The claim is conditional on the order being exactly as
 * the run listed it (status, no live claim, same number of finished passes), so a second run that
 * listed it at the same time can neither claim it while this one works nor after this one
 * finished. Returns the claim's end, or null.
 */
export async function claimForReconcile(ctx: AppContext, order: OrderDocument): Promise<number | null> {
  const now = ctx.now();
  const _ = ctx.db.command;
  if (order.reconcileClaimUntil !== undefined && order.reconcileClaimUntil > now) return null;
  const until = now + RECONCILE_CLAIM_MS;
  try {
    const won = await orderStore(ctx).patch(
      order._id,
      {
        status: order.status,
        reconcileClaimUntil: order.reconcileClaimUntil ?? _.exists(false),
        reconcilePasses: order.reconcilePasses ?? _.exists(false),
      },
      { reconcileClaimUntil: until },
      false,
    );
    return won ? until : null;
  } catch {
    // The claim's answer may have been lost after it was made: it is ours if it names our time.
    const current = await ctx.orders.findById(order._id).catch(() => null);
    return current?.reconcileClaimUntil === until ? until : null;
  }
}

/**
 * Done with it: the next run may look again. Only a claim this run still holds is released (a
 * crashed run's simply runs out). Tried twice: a claim left behind keeps every run off the order
 * until it lapses, and a second try after a lost answer finds the claim gone and changes nothing.
 */
export async function releaseReconcileClaim(ctx: AppContext, orderId: string, until: number): Promise<void> {
  const _ = ctx.db.command;
  const once = () => orderStore(ctx).patch(orderId, { reconcileClaimUntil: until }, { reconcileClaimUntil: _.remove(), reconcilePasses: _.inc(1) }, false);
  await once().catch(once);
}

/** An action reconcile took on an order, as an audit event. */
export function recordReconcileAction(ctx: AppContext, order: OrderDocument, type: string, detail: Record<string, unknown> = {}): Promise<void> {
  return orderStore(ctx).audit({ orderId: order._id, type, at: ctx.now(), detail: { by: 'reconcile', ...detail } });
}
