import type { AppContext } from '../context';
import { log } from '../log';
import { closeUnpaid } from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import { unsealOpenid } from '../security/identity';
import { acceptPaymentEvidence } from './evidence';
import { PaymentUnavailableError } from './provider';
import { providerCall } from './retryPolicy';
import { SessionKeyExpiredError, type TokenHolder } from './virtual/wallet';

export type SpendOutcome = 'paid' | 'insufficient' | 'session_expired' | 'unknown';

/**
 * Spends an answer's tokens before it is generated (currency_pay, `order_id` = the order's
 * outTradeNo). Its own answer is the evidence: a spend WeChat made (or says it made before:
 * 268490004, after a lost answer) goes the one way every payment goes, `acceptPaymentEvidence`, and
 * the order becomes paid exactly once. Refused (too few tokens, the login expired): nothing was
 * spent and the order closes. Unknown (no answer, even after the in-call retries of
 * ./retryPolicy.ts): the order stays waiting, and the page's next look or reconcile asks again
 * under the same id, which WeChat can only ever do once.
 */
export async function spendForOrder(ctx: AppContext, order: OrderDocument, holder: TokenHolder, source: string): Promise<SpendOutcome> {
  const wallet = ctx.wallet;
  if (!wallet) throw new Error('tokens need PAY_MODE=virtual');
  const tokens = order.amountTokens ?? 0;
  let answer: 'spent' | 'insufficient';
  try {
    answer = await providerCall(ctx.clock, 'spend', () => wallet.spend(holder, { outTradeNo: order.outTradeNo, tokens, item: order.tier }));
  } catch (error) {
    if (error instanceof SessionKeyExpiredError) {
      await ctx.sessions?.forget(order.userHash);
      await closeUnpaid(ctx, order, { reason: 'spend_refused', code: 'SESSION_EXPIRED' });
      return 'session_expired';
    }
    if (error instanceof PaymentUnavailableError) {
      log('warn', 'token_spend_unanswered', { orderId: order._id, error: error.message.slice(0, 200) });
      return 'unknown';
    }
    throw error;
  }
  if (answer === 'insufficient') {
    await closeUnpaid(ctx, order, { reason: 'spend_refused', code: 'INSUFFICIENT_BALANCE' });
    return 'insufficient';
  }
  const outcome = await acceptPaymentEvidence(ctx, { outTradeNo: order.outTradeNo, amountFen: 0, amountTokens: tokens, verified: true, source }, order);
  return outcome === 'confirmed' || outcome === 'duplicate' ? 'paid' : 'unknown';
}

/** The payer of a token order, for a call made after the request that created it (the page's look, reconcile). */
export async function storedHolder(ctx: AppContext, order: OrderDocument): Promise<TokenHolder | null> {
  if (!order.payerOpenidSealed || !ctx.sessions) return null;
  const sessionKey = await ctx.sessions.forUser(order.userHash);
  if (!sessionKey) return null;
  return { openid: unsealOpenid(order.payerOpenidSealed, ctx.env.openidSealKey), clientIp: order.payerIp ?? '127.0.0.1', sessionKey };
}

/** A token order whose spend was never answered: the same spend again (idempotent by its id). */
export async function resumeSpend(ctx: AppContext, order: OrderDocument, source: string): Promise<SpendOutcome> {
  const holder = await storedHolder(ctx, order);
  if (!holder) return 'unknown';
  return spendForOrder(ctx, order, holder, source);
}

/**
 * A token order that expired while its spend was never answered: it is not spent now (the user
 * has long stopped waiting); instead whatever the first spend may have taken is given back
 * (cancel_currency_pay, idempotent), and the order closes. Without the user's session key this
 * waits for their next login: nothing is closed while tokens might still be taken.
 */
export async function undoSpend(ctx: AppContext, order: OrderDocument): Promise<'closed' | 'waiting'> {
  const holder = await storedHolder(ctx, order);
  const wallet = ctx.wallet;
  if (!holder || !wallet) return 'waiting';
  try {
    await providerCall(ctx.clock, 'return', () => wallet.returnSpend(holder, { outTradeNo: order.outTradeNo, tokens: order.amountTokens ?? 0 }));
  } catch (error) {
    if (error instanceof SessionKeyExpiredError) await ctx.sessions?.forget(order.userHash);
    log('warn', 'token_spend_undo_failed', { orderId: order._id, error: String(error).slice(0, 200) });
    return 'waiting';
  }
  await closeUnpaid(ctx, order, { reason: 'spend_undone' });
  return 'closed';
}
