import type { AppContext } from '../context';
import { log } from '../log';
import { claimTopUpForReconcile, closeTopUp, recordTopUpProviderClosed, releaseTopUpClaim } from '../orders/lifecycle';
import type { TopUpDocument } from '../orders/topUp';
import { acceptTopUpEvidence } from './evidence';
import { providerCall } from './retryPolicy';
import { giveBonus } from './topUps';

export interface TopUpReport {
  topUpsConfirmed: number;
  topUpsClosed: number;
  bonusesGiven: number;
  skippedClaimed: number;
}

/** A top-up closed here but maybe still payable at WeChat (a sheet left open) is watched this long. */
const WATCH_CLOSED_MS = 24 * 3600_000;

/**
 * What reconcile does for token top-ups: a payment whose push was lost is found with query_order
 * (the one evidence path, core/payments/evidence.ts); an expired unpaid one is closed (and watched
 * a while: WeChat credits a late payment anyway, and it then counts as paid); a bonus still owed
 * is given. Each top-up is claimed first, as orders are, and work stops at the run's deadline.
 */
export async function reconcileTopUps(ctx: AppContext, deadline: number): Promise<TopUpReport> {
  const report: TopUpReport = { topUpsConfirmed: 0, topUpsClosed: 0, bonusesGiven: 0, skippedClaimed: 0 };
  if (ctx.env.payMode !== 'virtual') return report;
  const _ = ctx.db.command;
  const now = ctx.now();

  const each = async (condition: Record<string, unknown>, work: (topUp: TopUpDocument) => Promise<void>): Promise<void> => {
    for (const topUp of await ctx.topUps.find(condition, ctx.env.reconcileBatch, 'reconcilePasses')) {
      if (ctx.now() > deadline) return;
      const until = await claimTopUpForReconcile(ctx, topUp);
      if (until === null) {
        report.skippedClaimed += 1;
        continue;
      }
      try {
        await work(topUp);
      } catch (error) {
        log('error', 'reconcile_top_up_failed', { outTradeNo: topUp.outTradeNo, status: topUp.status, error: String(error) });
      } finally {
        await releaseTopUpClaim(ctx, topUp._id, until).catch(() => undefined);
      }
    }
  };

  const confirm = async (topUp: TopUpDocument): Promise<boolean> => {
    const outcome = await acceptTopUpEvidence(ctx, { outTradeNo: topUp.outTradeNo, amountFen: null, verified: false, source: 'query_order_by_reconcile' }, topUp);
    if (outcome === 'confirmed') report.topUpsConfirmed += 1;
    return outcome === 'confirmed' || outcome === 'duplicate';
  };

  // Pending past the push's grace: paid after all?
  await each({ status: 'pending_payment', createdAt: _.lt(now - ctx.env.reconcileGraceMs) }, async (topUp) => {
    if (await confirm(topUp)) return;
    if (topUp.expiresAt > ctx.now()) return;
    const providerClosed = await providerCall(ctx.clock, 'query', () => ctx.payments.closeOrder(topUp.outTradeNo)).catch(() => false);
    if (await closeTopUp(ctx, topUp, providerClosed)) report.topUpsClosed += 1;
  });

  // Closed here, still open at WeChat: a late payment counts; a day later, watching stops.
  await each({ status: 'closed', providerClosed: false }, async (topUp) => {
    if (await confirm(topUp)) return;
    const gone = await providerCall(ctx.clock, 'query', () => ctx.payments.closeOrder(topUp.outTradeNo)).catch(() => false);
    if (gone || ctx.now() - (topUp.closedAt ?? topUp.createdAt) > WATCH_CLOSED_MS) await recordTopUpProviderClosed(ctx, topUp, gone ? 'closed' : 'stopped_watching');
  });

  // Paid, bonus still owed.
  await each({ status: 'paid', 'bonus.status': 'due' }, async (topUp) => {
    if ((await giveBonus(ctx, topUp)) === 'given') report.bonusesGiven += 1;
  });
  return report;
}
