import type { AppContext } from '../context';
import { log } from '../log';
import { outRefundNoFor } from '../orders/ids';
import type { OrderDocument } from '../orders/order';
import { unsealOpenid } from '../security/identity';
import { PaymentUnavailableError, type RefundState } from './provider';
import { providerCall } from './retryPolicy';
import { SessionKeyExpiredError, type TokenHolder } from './virtual/wallet';

/**
 * Refunds at the provider. There is exactly one refund per order: its number is derived from the
 * order, so asking again (after a crash, a rejection, from reconcile) can never move money twice.
 * Two kinds of order are refunded: `refunding` ones (the answer failed; they end `refunded`) and
 * `closed` ones that were paid after they closed (a late payment; they stay `closed`, their
 * `refund` records it). An answer paid with tokens gets its tokens back (`cancel_currency_pay`,
 * idempotent by an id derived from the order) instead of money. What the answers do to the order
 * is decided in core/orders/lifecycle/.
 */

/** The order owes the user a refund that is not known to have succeeded. */
export function refundOutstanding(order: OrderDocument): boolean {
  if (order.refund?.status === 'succeeded') return false;
  return order.status === 'refunding' || (order.status === 'closed' && order.refund?.outRefundNo !== undefined);
}

/**
 * A refund under `outRefundNo` exists for this order: it was asked for (a `refunding` order is
 * asked for at once, and stays `refunded` afterwards), or a late payment's refund was recorded.
 * A notification about any other refund (a cancelled order that was never paid, a completed one)
 * concerns no refund of ours.
 */
export function holdsRefund(order: OrderDocument, outRefundNo: string): boolean {
  if (outRefundNo !== outRefundNoFor(order.outTradeNo)) return false;
  if (order.status === 'refunding' || order.status === 'refunded') return true;
  return order.refund?.outRefundNo === outRefundNo;
}

export type RefundRequestOutcome =
  /** Unknown outcome (network), or it cannot be asked now (the user's WeChat login expired): ask again later with the same number. */
  | { kind: 'unanswered'; error: string }
  | { kind: 'rejected'; message: string }
  /** Taken; `succeeded` when the provider said so in the same answer. */
  | { kind: 'accepted'; succeeded: boolean };

/** The payer of a token order, for a call made on their behalf after they left (a return). */
async function tokenHolder(ctx: AppContext, order: OrderDocument): Promise<TokenHolder | string> {
  if (!ctx.sessions) return 'tokens can be returned only with PAY_MODE=virtual';
  if (!order.payerOpenidSealed) return 'the payer of this order is no longer known';
  const sessionKey = await ctx.sessions.forUser(order.userHash);
  // WeChat signs a return with the user's session key: without one, it waits for their next login.
  if (!sessionKey) return 'the user’s WeChat login has expired; the return waits for their next login';
  return { openid: unsealOpenid(order.payerOpenidSealed, ctx.env.openidSealKey), clientIp: order.payerIp ?? '127.0.0.1', sessionKey };
}

async function returnTokens(ctx: AppContext, order: OrderDocument): Promise<RefundRequestOutcome> {
  const holder = await tokenHolder(ctx, order);
  if (typeof holder === 'string') return { kind: 'unanswered', error: holder };
  const wallet = ctx.wallet;
  if (!wallet) return { kind: 'unanswered', error: 'no token wallet' };
  try {
    const returned = await providerCall(ctx.clock, 'return', () => wallet.returnSpend(holder, { outTradeNo: order.outTradeNo, tokens: order.amountTokens ?? 0 }));
    // A paid answer's spend that WeChat does not know: only a person can tell what happened.
    if (returned === 'nothing_spent') return { kind: 'rejected', message: 'WeChat has no token spend under this order' };
    return { kind: 'accepted', succeeded: true };
  } catch (error) {
    if (error instanceof SessionKeyExpiredError) {
      await ctx.sessions?.forget(order.userHash);
      return { kind: 'unanswered', error: 'the user’s WeChat login has expired; the return waits for their next login' };
    }
    if (error instanceof PaymentUnavailableError) return { kind: 'unanswered', error: error.message.slice(0, 200) };
    return { kind: 'rejected', message: (error instanceof Error ? error.message : String(error)).slice(0, 200) };
  }
}

/** Asks the provider to refund the order in full, under the order's one refund number (tokens: their return). */
export async function askForRefund(ctx: AppContext, order: OrderDocument, reason: string): Promise<RefundRequestOutcome> {
  if (order.payWith === 'tokens') return returnTokens(ctx, order);
  try {
    const answer = await providerCall(ctx.clock, 'refund', () =>
      ctx.payments.refund({
        outTradeNo: order.outTradeNo,
        outRefundNo: outRefundNoFor(order.outTradeNo),
        totalFen: order.amountFen,
        refundFen: order.amountFen,
        reason,
      }),
    );
    if (!answer.accepted) return { kind: 'rejected', message: (answer.message ?? 'rejected').slice(0, 200) };
    return { kind: 'accepted', succeeded: answer.state === 'SUCCESS' };
  } catch (error) {
    log('warn', 'refund_unanswered', { orderId: order._id, error: String(error).slice(0, 200) });
    return { kind: 'unanswered', error: String(error).slice(0, 200) };
  }
}

/**
 * Where the order's refund stands at the provider. A token return cannot be looked up (WeChat's
 * query_order sees cash orders only): it is confirmed by its own answer, so one that is not known
 * to be done is simply asked for again (NOT_FOUND), which is idempotent.
 */
export function askRefundState(ctx: AppContext, order: OrderDocument): Promise<RefundState> {
  if (order.payWith === 'tokens') return Promise.resolve('NOT_FOUND');
  return providerCall(ctx.clock, 'query', () => ctx.payments.queryRefund(outRefundNoFor(order.outTradeNo)));
}
