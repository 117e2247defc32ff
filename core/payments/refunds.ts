import type { AppContext } from '../context';
import { log } from '../log';
import { outRefundNoFor } from '../orders/ids';
import type { OrderDocument } from '../orders/order';
import { sendResultMessage } from '../notify/subscribe';
import type { RefundState } from './provider';

/**
 * Refunds. There is exactly one refund per order: its number is derived from the order, so asking
 * again (after a crash, a rejection, from reconcile) can never move money twice. Two kinds of
 * order are refunded: `refunding` ones (the answer failed; they end `refunded`) and `closed` ones
 * that were paid after they closed (a late payment; they stay `closed`, their `refund` records it).
 */

export type RefundCheck = 'refunded' | 'pending' | 'not_found' | 'failed' | 'none';

function refundable(order: OrderDocument): boolean {
  return order.status === 'refunding' || (order.status === 'closed' && order.refund !== undefined);
}

/** Asks the provider to refund the order in full. Every rejection is an audit event and an error log line. */
export async function requestRefund(ctx: AppContext, order: OrderDocument, reason: string): Promise<'requested' | 'rejected' | 'unanswered' | 'skipped'> {
  if (!refundable(order) || order.refund?.status === 'succeeded') return 'skipped';
  // A refund confirmed meanwhile (its notification raced this call) is never written back to pending.
  const when = { status: order.status, 'refund.status': ctx.db.command.neq('succeeded') };
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const requestedAt = order.refund?.requestedAt ?? ctx.now();
  let answer;
  try {
    answer = await ctx.payments.refund({ outTradeNo: order.outTradeNo, outRefundNo, totalFen: order.amountFen, refundFen: order.amountFen, reason });
  } catch (error) {
    // Unknown outcome (network): stay as we are; reconcile asks again with the same number.
    log('warn', 'refund_request_unanswered', { orderId: order._id, outRefundNo, error: String(error) });
    await ctx.orders.patch(order._id, when, { refund: { outRefundNo, status: 'requested', requestedAt, lastError: String(error).slice(0, 200) } }, false);
    return 'unanswered';
  }
  if (!answer.accepted) {
    const message = (answer.message ?? 'rejected').slice(0, 200);
    await ctx.orders.patch(order._id, when, { refund: { outRefundNo, status: 'rejected', requestedAt, lastError: message } });
    await ctx.orders.audit({ orderId: order._id, type: 'refund_rejected', at: ctx.now(), detail: { outRefundNo, message } });
    log('error', 'refund_rejected_needs_operator', { orderId: order._id, outRefundNo, message });
    return 'rejected';
  }
  await ctx.orders.patch(order._id, when, { refund: { outRefundNo, status: 'requested', requestedAt } }, false);
  if (answer.state === 'SUCCESS') {
    const fresh = await ctx.orders.findById(order._id);
    if (fresh) await settleRefund(ctx, fresh, 'refund_answer');
  } else {
    await checkRefund(ctx, order._id);
  }
  return 'requested';
}

/** Asks the provider where a requested refund stands and finishes the order when it succeeded. */
export async function checkRefund(ctx: AppContext, orderId: string): Promise<RefundCheck> {
  const order = await ctx.orders.findById(orderId);
  if (!order) return 'none';
  if (order.status === 'refunded' || order.refund?.status === 'succeeded') return 'refunded';
  if (!refundable(order)) return 'none';
  const state = await ctx.payments.queryRefund(outRefundNoFor(order.outTradeNo));
  if (state === 'SUCCESS') {
    await settleRefund(ctx, order, 'query_refund');
    return 'refunded';
  }
  if (state === 'NOT_FOUND') return 'not_found';
  if (state === 'ABNORMAL' || state === 'CLOSED') {
    await surfaceRefundProblem(ctx, order, state, 'query_refund');
    return 'failed';
  }
  return 'pending';
}

/**
 * The provider says the refund succeeded (a verified notification or its own answer). Once,
 * whoever learns of it first: `refunding → refunded` is a conditional transition, and a late
 * payment's refund is marked succeeded by a conditional update.
 */
export async function settleRefund(ctx: AppContext, order: OrderDocument, source: string): Promise<boolean> {
  if (order.status === 'refunding') return confirmRefund(ctx, order, source);
  if (order.status !== 'closed' || !order.refund) return false;
  const _ = ctx.db.command;
  const at = ctx.now();
  const marked = await ctx.orders.patch(order._id, { status: 'closed', 'refund.status': _.neq('succeeded') }, { 'refund.status': 'succeeded', 'refund.confirmedAt': at });
  if (marked) await ctx.orders.audit({ orderId: order._id, type: 'late_payment_refund_confirmed', at, detail: { outRefundNo: order.refund.outRefundNo, source } });
  return marked;
}

/** `refunding → refunded`, once, then the subscribe message the user asked for. */
export async function confirmRefund(ctx: AppContext, order: OrderDocument, source: string): Promise<boolean> {
  const at = ctx.now();
  const moved = await ctx.orders.transition({
    orderId: order._id,
    from: 'refunding',
    to: 'refunded',
    set: {
      refundedAt: at,
      refund: { outRefundNo: outRefundNoFor(order.outTradeNo), status: 'succeeded', requestedAt: order.refund?.requestedAt ?? at, confirmedAt: at },
    },
    reason: 'refund_confirmed',
    detail: { source },
  });
  if (moved) {
    const refunded = await ctx.orders.findById(order._id);
    if (refunded) await sendResultMessage(ctx, refunded);
  }
  return moved;
}

/**
 * The provider could not pay the refund out (ABNORMAL: e.g. the user's card is closed; CLOSED).
 * Money is owed and only a person can settle it: one audit event per new state, an error log
 * line every time it is seen. The order stays where it is and reconcile keeps looking.
 */
export async function surfaceRefundProblem(ctx: AppContext, order: OrderDocument, state: Extract<RefundState, 'ABNORMAL' | 'CLOSED'>, source: string): Promise<void> {
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  log('error', 'refund_abnormal_needs_operator', { orderId: order._id, outRefundNo, state, source });
  const _ = ctx.db.command;
  const changed = await ctx.orders.patch(order._id, { status: order.status, 'refund.lastError': _.neq(state) }, { 'refund.lastError': state }, false);
  if (changed) await ctx.orders.audit({ orderId: order._id, type: 'refund_abnormal', at: ctx.now(), detail: { outRefundNo, state, source } });
}
