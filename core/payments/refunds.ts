import type { AppContext } from '../context';
import { log } from '../log';
import { outRefundNoFor } from '../orders/ids';
import type { OrderDocument } from '../orders/order';
import { sendResultMessage } from '../notify/subscribe';

/**
 * Asks the provider to refund an order that is `refunding`. The refund number is derived from the
 * order, so asking again (after a crash, from reconcile) can never refund twice.
 */
export async function requestRefund(ctx: AppContext, order: OrderDocument, reason: string): Promise<void> {
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const requestedAt = order.refund?.requestedAt ?? ctx.now();
  let answer;
  try {
    answer = await ctx.payments.refund({
      outTradeNo: order.outTradeNo,
      outRefundNo,
      totalFen: order.amountFen,
      refundFen: order.amountFen,
      reason,
    });
  } catch (error) {
    // Unknown outcome (network): stay `refunding`; reconcile asks again with the same number.
    log('warn', 'refund_request_unanswered', { orderId: order._id, error: String(error) });
    await ctx.orders.patch(order._id, { status: 'refunding' }, { refund: { outRefundNo, status: 'requested', requestedAt, lastError: String(error) } });
    return;
  }
  if (!answer.accepted) {
    await ctx.orders.patch(order._id, { status: 'refunding' }, { refund: { outRefundNo, status: 'rejected', requestedAt, lastError: answer.message ?? 'rejected' } });
    await ctx.orders.audit({ orderId: order._id, type: 'refund_rejected', at: ctx.now(), detail: { outRefundNo, message: answer.message ?? '' } });
    log('error', 'refund_rejected_needs_operator', { orderId: order._id, outRefundNo, message: answer.message ?? '' });
    return;
  }
  await ctx.orders.patch(order._id, { status: 'refunding' }, { refund: { outRefundNo, status: 'requested', requestedAt } });
  await checkRefund(ctx, order._id);
}

/** Asks the provider where a requested refund stands and finishes the order when it succeeded. */
export async function checkRefund(ctx: AppContext, orderId: string): Promise<'refunded' | 'pending' | 'not_found'> {
  const order = await ctx.orders.findById(orderId);
  if (!order || order.status !== 'refunding') return order?.status === 'refunded' ? 'refunded' : 'pending';
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const state = await ctx.payments.queryRefund(outRefundNo);
  if (state === 'SUCCESS') {
    await confirmRefund(ctx, order, 'query_refund');
    return 'refunded';
  }
  if (state === 'NOT_FOUND') return 'not_found';
  if (state === 'ABNORMAL' || state === 'CLOSED') {
    await ctx.orders.audit({ orderId, type: 'refund_abnormal', at: ctx.now(), detail: { outRefundNo, state } });
    log('error', 'refund_abnormal_needs_operator', { orderId, outRefundNo, state });
  }
  return 'pending';
}

/** `refunding → refunded`, once, whoever learns of it first (notification, query, reconcile). */
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
