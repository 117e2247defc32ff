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
}

/** Done with it: the next run may look again. Only a claim this run still holds is released (a crashed run's simply runs out). */
export async function releaseReconcileClaim(ctx: AppContext, orderId: string, until: number): Promise<void> {
  const _ = ctx.db.command;
  await orderStore(ctx).patch(orderId, { reconcileClaimUntil: until }, { reconcileClaimUntil: _.remove(), reconcilePasses: _.inc(1) }, false);
}

/** An action reconcile took on an order, as an audit event. */
export function recordReconcileAction(ctx: AppContext, order: OrderDocument, type: string, detail: Record<string, unknown> = {}): Promise<void> {
  return orderStore(ctx).audit({ orderId: order._id, type, at: ctx.now(), detail: { by: 'reconcile', ...detail } });
}
