import type { AppContext } from '../../context';
import { log } from '../../log';
import type { ClientPayment } from '../../payments/provider';
import { ActivePaymentLock } from '../activePayment';
import { outRefundNoFor } from '../ids';
import type { OrderDocument } from '../order';
import { orderStore } from '../store';
import { eraseSeal, erasePayer, payerNeededForMoney } from './erasure';
import { requestRefund } from './refunds';

// ─── pending_payment ────────────────────────────────────────────────────────────────────────────

/** Stores a new order (`pending_payment`) and its `created` audit event. */
export function openOrder(ctx: AppContext, order: OrderDocument): Promise<void> {
  return orderStore(ctx).insert(order);
}

/** Saves the payment sheet's parameters of a new order (so that the user can pay again after cancelling the sheet). */
export async function recordPrepay(ctx: AppContext, order: OrderDocument, payment: ClientPayment): Promise<OrderDocument> {
  const kept = await orderStore(ctx).patch(order._id, { status: 'pending_payment' }, { payment });
  // The patch bumped rev by one; nothing else can have touched an order nobody has paid yet.
  return kept ? { ...order, payment, rev: order.rev + 1 } : ((await ctx.orders.findById(order._id)) ?? order);
}

export type CloseCause =
  /** The user cancelled; the provider is asked to close afterwards (`recordProviderClosed`). */
  | { reason: 'cancelled_by_user' }
  /** Reconcile found it unpaid past its expiry, and asked the provider to close it first. */
  | { reason: 'expired'; providerClosed: boolean }
  /** No prepay order could be made: there is nothing to close at the provider. */
  | { reason: 'prepay_failed' }
  /** Tokens: WeChat refused the spend (too few tokens, or the login expired); nothing was spent. */
  | { reason: 'spend_refused'; code: 'INSUFFICIENT_BALANCE' | 'SESSION_EXPIRED' }
  /** Tokens: the spend's outcome was never learned before the order expired, and a return made sure nothing stays spent. */
  | { reason: 'spend_undone' }
  /**
   * The conversation was deleted while this turn was being created (recordTurn,
   * core/conversations/turns.ts): the order is closed before it can be paid, and reconcile asks
   * the provider to close it too (there is usually nothing there).
   */
  | { reason: 'conversation_deleted' };

/**
 * `pending_payment → closed`: cancelled, expired or never payable. Frees the user to order again
 * and erases the sealed openid (no message is ever sent for a closed order).
 */
export async function closeUnpaid(ctx: AppContext, order: OrderDocument, cause: CloseCause): Promise<OrderDocument | null> {
  const providerClosed = cause.reason === 'expired' ? cause.providerClosed : cause.reason === 'prepay_failed' || cause.reason === 'spend_refused' || cause.reason === 'spend_undone';
  const closed = await orderStore(ctx).transition({
    orderId: order._id,
    from: 'pending_payment',
    to: 'closed',
    set: {
      closedAt: ctx.now(),
      providerClosed,
      ...(cause.reason === 'prepay_failed' ? { error: { code: 'PAYMENT_UNAVAILABLE', message: 'payment could not be started' } } : {}),
      ...(cause.reason === 'spend_refused' ? { error: { code: cause.code, message: cause.code === 'INSUFFICIENT_BALANCE' ? 'not enough tokens' : 'the WeChat login expired' } } : {}),
      ...eraseSeal(ctx, order),
      // A virtual purchase's sheet may still be paid after we close it: its payer is needed to refund that.
      ...(providerClosed || !payerNeededForMoney(ctx) ? erasePayer(ctx, order) : {}),
    },
    reason: cause.reason,
    ...(cause.reason === 'expired' ? { detail: { by: 'reconcile', providerClosed } } : {}),
  });
  if (closed) await new ActivePaymentLock(ctx.db).release(order.userHash, order._id);
  return closed;
}

/** The provider closed a closed order too (or says it is closed): reconcile need not ask again. */
export async function recordProviderClosed(ctx: AppContext, order: OrderDocument, audit?: { providerState?: string }): Promise<void> {
  const store = orderStore(ctx);
  // Nothing more can be paid, so nothing more refunded: the payer's openid goes, unless a late payment's refund still needs it.
  await store.patch(order._id, { status: 'closed' }, { providerClosed: true, ...(order.refund && order.refund.status !== 'succeeded' ? {} : erasePayer(ctx, order)) }, false);
  if (audit) {
    await store.audit({ orderId: order._id, type: 'closed_at_provider', at: ctx.now(), detail: { by: 'reconcile', ...(audit.providerState ? { providerState: audit.providerState } : {}) } });
  }
}

/**
 * Claims the right to ask the provider about a pending order now: at most one caller per
 * interval, however many ask at once (the page, reconcile, a second tap). False when another
 * caller asked less than `minIntervalMs` ago or holds the claim.
 */
export async function claimPaymentQuery(ctx: AppContext, order: OrderDocument, minIntervalMs: number): Promise<boolean> {
  const now = ctx.now();
  if (order.status !== 'pending_payment') return false;
  if (order.lastPaymentQueryAt !== undefined && now - order.lastPaymentQueryAt < minIntervalMs) return false;
  const _ = ctx.db.command;
  return orderStore(ctx).patch(order._id, { status: 'pending_payment', lastPaymentQueryAt: order.lastPaymentQueryAt ?? _.exists(false) }, { lastPaymentQueryAt: now }, false);
}

export interface Payment {
  transactionId?: string;
  /** Where the evidence came from: 'cloudpay_callback', 'v3_notification', 'query_order', … */
  source: string;
}

/**
 * `pending_payment → paid`, exactly once: the caller whose conditional update wins frees the
 * user's lock, dispatches `generate` and gets true; every other caller gets false. (The order is
 * not read back: no caller needs more than who won.)
 */
export async function markPaid(ctx: AppContext, order: OrderDocument, payment: Payment): Promise<boolean> {
  const paid = await orderStore(ctx).move({
    orderId: order._id,
    from: 'pending_payment',
    to: 'paid',
    set: { paidAt: ctx.now(), ...(payment.transactionId ? { transactionId: payment.transactionId } : {}) },
    reason: 'payment_confirmed',
    detail: { source: payment.source },
  });
  if (!paid) return false;
  await new ActivePaymentLock(ctx.db).release(order.userHash, order._id);
  // Just paid: no lease yet, so the dispatcher need not read the order to know what "claimed" looks like.
  await ctx.dispatchGeneration(order._id, { status: 'paid' });
  return true;
}

/** Why payment evidence was not believed (./evidence.ts in core/payments). */
export type RefusedEvidence =
  | { reason: 'amount_mismatch'; expectedFen: number; notifiedFen: number | null; providerFen?: number | null; source: string }
  | { reason: 'payer_mismatch'; source: string };

/**
 * Evidence of a payment that does not fit the order (another amount, another payer): never
 * believed. One audit event per order, reason and source (a repeated notification adds nothing) and
 * an error log line every time, for the operator.
 */
export async function recordRefusedEvidence(ctx: AppContext, order: { _id: string }, refused: RefusedEvidence): Promise<void> {
  const { reason, ...detail } = refused;
  log('error', reason === 'amount_mismatch' ? 'payment_amount_mismatch' : 'payment_payer_mismatch', { orderId: order._id, ...detail });
  const seen = (await ctx.orders.events(order._id)).some((event) => event.type === reason && event.detail?.source === refused.source);
  if (!seen) await orderStore(ctx).audit({ orderId: order._id, type: reason, at: ctx.now(), detail });
}

/**
 * Money arrived for an order that was already closed (the user paid on a sheet opened before).
 * The order stays closed and the money goes back, once: the first caller records the refund with
 * a conditional update, then asks for it; reconcile re-checks it until the provider confirms.
 * Returns false when the refund was recorded before (a duplicate).
 */
export async function refundLatePayment(ctx: AppContext, order: OrderDocument, payment: Payment & { amountFen: number }): Promise<boolean> {
  const store = orderStore(ctx);
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const refund = { outRefundNo, status: 'requested' as const, requestedAt: ctx.now() };
  const recorded = await store.patch(order._id, { status: 'closed', refund: ctx.db.command.exists(false) }, {
    ...(payment.transactionId ? { transactionId: payment.transactionId } : {}),
    // Paid at the provider: there is nothing left to close there.
    providerClosed: true,
    refund,
    ...eraseSeal(ctx, order),
    ...(payerNeededForMoney(ctx) ? {} : erasePayer(ctx, order)),
  });
  if (!recorded) return false;
  await store.audit({ orderId: order._id, type: 'late_payment_refund_requested', at: ctx.now(), detail: { outRefundNo, source: payment.source, amountFen: payment.amountFen } });
  log('warn', 'late_payment_refunding', { orderId: order._id, outRefundNo });
  await requestRefund(ctx, { ...order, providerClosed: true, refund });
  return true;
}
