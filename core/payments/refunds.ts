import type { AppContext } from '../context';
import { outRefundNoFor } from '../orders/ids';
import type { OrderDocument } from '../orders/order';
import type { RefundState } from './provider';
import { providerCall } from './retryPolicy';

/**
 * Refunds at the provider. There is exactly one refund per order: its number is derived from the
 * order, so asking again (after a crash, a rejection, from reconcile) can never move money twice.
 * Two kinds of order are refunded: `refunding` ones (the answer failed; they end `refunded`) and
 * `closed` ones that were paid after they closed (a late payment; they stay `closed`, their
 * `refund` records it). What the answers do to the order is decided in core/orders/lifecycle/.
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
  /** Unknown outcome (network): ask again later with the same number. */
  | { kind: 'unanswered'; error: string }
  | { kind: 'rejected'; message: string }
  /** Taken; `succeeded` when the provider said so in the same answer. */
  | { kind: 'accepted'; succeeded: boolean };

/** Asks the provider to refund the order in full, under the order's one refund number. */
export async function askForRefund(ctx: AppContext, order: OrderDocument, reason: string): Promise<RefundRequestOutcome> {
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
    return { kind: 'unanswered', error: String(error).slice(0, 200) };
  }
}

/** Where the order's refund stands at the provider. */
export function askRefundState(ctx: AppContext, order: OrderDocument): Promise<RefundState> {
  return providerCall(ctx.clock, 'query', () => ctx.payments.queryRefund(outRefundNoFor(order.outTradeNo)));
}
