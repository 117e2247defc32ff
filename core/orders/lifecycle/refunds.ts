import type { AppContext } from '../../context';
import { log } from '../../log';
import type { RefundState } from '../../payments/provider';
import { askForRefund, askRefundState, refundOutstanding } from '../../payments/refunds';
import { outRefundNoFor } from '../ids';
import type { OrderDocument } from '../order';
import { orderStore } from '../store';
import { eraseSeal, erasePayer } from './erasure';
import { tellUser } from './followUps';

// ─── refunds ────────────────────────────────────────────────────────────────────────────────────

/** The reason sent with a refund request: a late payment on a closed order, or a failed answer. */
const refundReason = (order: OrderDocument) =>
  order.status === 'closed' ? 'order was closed before payment arrived' : order.error?.code.startsWith('CONTENT_') ? 'AI answer withheld by content check' : 'AI generation failed';

/**
 * Asks the provider for the order's refund (again, after a rejection or a lost answer: same
 * number). Every rejection is an audit event and an error log line; a refund the provider confirms
 * in its answer is settled at once, otherwise it is looked up once and then left to the
 * notification and reconcile.
 */
export async function requestRefund(ctx: AppContext, order: OrderDocument): Promise<'requested' | 'rejected' | 'unanswered' | 'skipped'> {
  if (!refundOutstanding(order)) return 'skipped';
  const store = orderStore(ctx);
  // A refund confirmed meanwhile (its notification raced this call) is never written back to pending.
  const when = { status: order.status, 'refund.status': ctx.db.command.neq('succeeded') };
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const requestedAt = order.refund?.requestedAt ?? ctx.now();
  const outcome = await askForRefund(ctx, order, refundReason(order));
  if (outcome.kind === 'unanswered') {
    log('warn', 'refund_request_unanswered', { orderId: order._id, outRefundNo, error: outcome.error });
    await store.patch(order._id, when, { refund: { outRefundNo, status: 'requested', requestedAt, lastError: outcome.error } }, false);
    return 'unanswered';
  }
  if (outcome.kind === 'rejected') {
    await store.patch(order._id, when, { refund: { outRefundNo, status: 'rejected', requestedAt, lastError: outcome.message } });
    await store.audit({ orderId: order._id, type: 'refund_rejected', at: ctx.now(), detail: { outRefundNo, message: outcome.message } });
    log('error', 'refund_rejected_needs_operator', { orderId: order._id, outRefundNo, message: outcome.message });
    return 'rejected';
  }
  const refund = { outRefundNo, status: 'requested' as const, requestedAt };
  await store.patch(order._id, when, { refund }, false);
  if (outcome.succeeded) await settleRefund(ctx, { ...order, refund }, 'refund_answer');
  else await checkRefund(ctx, order._id);
  return 'requested';
}

export type RefundCheck = 'refunded' | 'pending' | 'not_found' | 'failed' | 'none';

/** Asks the provider where a requested refund stands and finishes the order when it succeeded. */
export async function checkRefund(ctx: AppContext, orderId: string): Promise<RefundCheck> {
  const order = await ctx.orders.findById(orderId);
  if (!order) return 'none';
  if (order.status === 'refunded' || order.refund?.status === 'succeeded') return 'refunded';
  if (!refundOutstanding(order)) return 'none';
  const state = await askRefundState(ctx, order);
  if (state === 'SUCCESS') {
    await settleRefund(ctx, order, 'query_refund');
    return 'refunded';
  }
  if (state === 'NOT_FOUND') return 'not_found';
  if (state === 'ABNORMAL' || state === 'CLOSED') {
    await recordRefundProblem(ctx, order, state, 'query_refund');
    return 'failed';
  }
  return 'pending';
}

/**
 * The provider says the order's refund succeeded (a verified notification or its own answer).
 * Once, whoever learns of it first: `refunding → refunded` (then the subscribe message, and the
 * sealed openid is gone either way), or, for a late payment's refund on a closed order, the
 * recorded refund marked succeeded. An order with no refund of ours changes nothing.
 */
export async function settleRefund(ctx: AppContext, order: OrderDocument, source: string): Promise<boolean> {
  const store = orderStore(ctx);
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const at = ctx.now();
  if (order.status === 'refunding') {
    const refunded = await store.transition({
      orderId: order._id,
      from: 'refunding',
      to: 'refunded',
      set: { refundedAt: at, refund: { outRefundNo, status: 'succeeded', requestedAt: order.refund?.requestedAt ?? at, confirmedAt: at }, ...erasePayer(ctx, order) },
      reason: 'refund_confirmed',
      detail: { source },
    });
    if (refunded) await tellUser(ctx, refunded);
    return refunded !== null;
  }
  if (order.status !== 'closed' || order.refund?.outRefundNo !== outRefundNo) return false;
  const _ = ctx.db.command;
  const marked = await store.patch(
    order._id,
    { status: 'closed', 'refund.outRefundNo': outRefundNo, 'refund.status': _.neq('succeeded') },
    { 'refund.status': 'succeeded', 'refund.confirmedAt': at, ...eraseSeal(ctx, order), ...erasePayer(ctx, order) },
  );
  if (marked) await store.audit({ orderId: order._id, type: 'late_payment_refund_confirmed', at, detail: { outRefundNo, source } });
  return marked;
}

/**
 * The provider could not pay the order's refund out (ABNORMAL: e.g. the user's card is closed;
 * CLOSED). Money is owed and only a person can settle it: one audit event per new state, an error
 * log line every time it is seen. The order stays where it is and reconcile keeps looking. Only an
 * outstanding refund of ours is concerned.
 */
export async function recordRefundProblem(ctx: AppContext, order: OrderDocument, state: Extract<RefundState, 'ABNORMAL' | 'CLOSED'>, source: string): Promise<boolean> {
  if (!refundOutstanding(order)) return false;
  const store = orderStore(ctx);
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  log('error', 'refund_abnormal_needs_operator', { orderId: order._id, outRefundNo, state, source });
  const _ = ctx.db.command;
  const changed = await store.patch(order._id, { status: order.status, 'refund.lastError': _.neq(state) }, { 'refund.lastError': state }, false);
  if (changed) await store.audit({ orderId: order._id, type: 'refund_abnormal', at: ctx.now(), detail: { outRefundNo, state, source } });
  return changed;
}
