import type { AppContext } from '../../context';
import type { VirtualPaymentParams } from '../../payments/provider';
import { topUpStore } from '../store';
import type { TopUpDocument } from '../topUp';
import { erasePayer } from './erasure';
import { RECONCILE_CLAIM_MS } from './reconcileClaims';

/**
 * Token top-ups (virtual payment): every write to one, as a named command, like the orders'
 * (core/orders/states.ts has their table). The tokens themselves are WeChat's to credit: these
 * commands keep our record of the payment and of the bonus a pack presents.
 */


/** Stores a new top-up (`pending_payment`) and its event. */
export function openTopUp(ctx: AppContext, topUp: TopUpDocument): Promise<void> {
  return topUpStore(ctx).insert(topUp);
}

/** Keeps the sheet's parameters, so that the page can open it again after a cancel. */
export async function recordTopUpSheet(ctx: AppContext, topUp: TopUpDocument, payment: VirtualPaymentParams): Promise<void> {
  await topUpStore(ctx).patch(topUp._id, { status: 'pending_payment' }, { payment });
}

/**
 * The top-up's payment is confirmed: `pending_payment → paid` (or `closed → paid` for a sheet paid
 * after we closed it), exactly once; a bonus becomes due. False when someone else recorded it first.
 */
export async function recordTopUpPaid(ctx: AppContext, topUp: TopUpDocument, payment: { transactionId?: string; source: string }): Promise<boolean> {
  const store = topUpStore(ctx);
  const set = {
    paidAt: ctx.now(),
    providerClosed: true,
    ...(payment.transactionId ? { transactionId: payment.transactionId } : {}),
    ...(topUp.bonusTokens > 0 ? { bonus: { status: 'due' } } : erasePayer(ctx, topUp)),
  };
  for (const from of ['pending_payment', 'closed'] as const) {
    if (await store.move({ outTradeNo: topUp._id, from, to: 'paid', set, reason: 'top_up_paid', detail: { source: payment.source, ...(from === 'closed' ? { afterClose: true } : {}) } })) return true;
  }
  return false;
}

/** Expired unpaid: `pending_payment → closed`. WeChat may still show it open; reconcile watches it (`providerClosed`). */
export function closeTopUp(ctx: AppContext, topUp: TopUpDocument, providerClosed: boolean): Promise<boolean> {
  return topUpStore(ctx).move({
    outTradeNo: topUp._id,
    from: 'pending_payment',
    to: 'closed',
    set: { closedAt: ctx.now(), providerClosed, ...(providerClosed ? erasePayer(ctx, topUp) : {}) },
    reason: 'top_up_expired',
    detail: { providerClosed },
  });
}

/** WeChat can take no payment for it any more (or it was given up on): nothing more to watch, the payer's openid goes. */
export async function recordTopUpProviderClosed(ctx: AppContext, topUp: TopUpDocument, providerState: string): Promise<void> {
  const store = topUpStore(ctx);
  if (await store.patch(topUp._id, { status: 'closed' }, { providerClosed: true, ...erasePayer(ctx, topUp) })) {
    await store.audit({ orderId: topUp._id, type: 'top_up_closed_at_provider', at: ctx.now(), detail: { providerState } });
  }
}

/** The pack's bonus tokens were presented: nothing more is owed, the payer's openid goes. */
export async function recordBonusGiven(ctx: AppContext, topUp: TopUpDocument): Promise<void> {
  const store = topUpStore(ctx);
  if (await store.patch(topUp._id, { status: 'paid', 'bonus.status': 'due' }, { bonus: { status: 'given', givenAt: ctx.now() }, ...erasePayer(ctx, topUp) })) {
    await store.audit({ orderId: topUp._id, type: 'top_up_bonus_given', at: ctx.now(), detail: { tokens: topUp.bonusTokens } });
  }
}

export async function recordBonusFailed(ctx: AppContext, topUp: TopUpDocument, error: string): Promise<void> {
  await topUpStore(ctx).patch(topUp._id, { status: 'paid', 'bonus.status': 'due' }, { 'bonus.lastError': error.slice(0, 200) });
}

/** A reconcile run's claim on a top-up (as `claimForReconcile` for orders). */
export async function claimTopUpForReconcile(ctx: AppContext, topUp: TopUpDocument): Promise<number | null> {
  const now = ctx.now();
  const _ = ctx.db.command;
  if (topUp.reconcileClaimUntil !== undefined && topUp.reconcileClaimUntil > now) return null;
  const until = now + RECONCILE_CLAIM_MS;
  const won = await topUpStore(ctx).patch(
    topUp._id,
    { status: topUp.status, reconcileClaimUntil: topUp.reconcileClaimUntil ?? _.exists(false), reconcilePasses: topUp.reconcilePasses ?? _.exists(false) },
    { reconcileClaimUntil: until },
  );
  return won ? until : null;
}

export async function releaseTopUpClaim(ctx: AppContext, outTradeNo: string, until: number): Promise<void> {
  const _ = ctx.db.command;
  await topUpStore(ctx).patch(outTradeNo, { reconcileClaimUntil: until }, { reconcileClaimUntil: _.remove(), reconcilePasses: _.inc(1) });
}
