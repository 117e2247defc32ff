import { uploadShipping } from '../compliance/shipping';
import type { AppContext } from '../context';
import { MAX_ATTEMPTS } from '../generation/lease';
import { log } from '../log';
import { sendResultMessage } from '../notify/subscribe';
import type { RefundState, RequestPaymentParams } from '../payments/provider';
import { askForRefund, askRefundState, refundOutstanding } from '../payments/refunds';
import { ActivePaymentLock } from './activePayment';
import { outRefundNoFor } from './ids';
import type { OrderDocument, OrderUsage } from './order';
import type { OrderWrite } from './repository';

/**
 * The order lifecycle: every change of an order's status, as a named command (docs/ARCHITECTURE.md,
 * "Order lifecycle"). Each command owns the fields it writes, the audit reason, the release of the
 * user's active-payment lock and its follow-ups (dispatching `generate`, asking for a refund,
 * the subscribe message). A command that changes the status returns the order as it stands after
 * the change, or null when the order was not where the command needs it (someone else moved it
 * first) and nothing changed. Time comes only from `ctx.now()`, dispatch only from
 * `ctx.dispatchGeneration`.
 */

/** The reason sent with a refund request: a late payment on a closed order, or a failed answer. */
const refundReason = (order: OrderDocument) =>
  order.status === 'closed' ? 'order was closed before payment arrived' : order.error?.code.startsWith('CONTENT_') ? 'AI answer withheld by content check' : 'AI generation failed';

/** The sealed openid is kept only while a message may still be sent: never once an order is closed. */
function eraseSeal(ctx: AppContext, order: OrderDocument): OrderWrite {
  return order.subscription ? { 'subscription.openidSealed': ctx.db.command.remove() } : {};
}

/**
 * The payer's sealed openid is kept only while the answer's content checks or the shipping upload
 * may still need it: never once an order is closed or being refunded.
 */
function erasePayer(ctx: AppContext, order: OrderDocument): OrderWrite {
  return order.payerOpenidSealed !== undefined ? { payerOpenidSealed: ctx.db.command.remove() } : {};
}

// ─── pending_payment ────────────────────────────────────────────────────────────────────────────

/** Saves the `wx.requestPayment` parameters of a new order (so that the user can pay again after cancelling the sheet). */
export async function recordPrepay(ctx: AppContext, order: OrderDocument, payment: RequestPaymentParams): Promise<OrderDocument> {
  const kept = await ctx.orders.patch(order._id, { status: 'pending_payment' }, { payment });
  // The patch bumped rev by one; nothing else can have touched an order nobody has paid yet.
  return kept ? { ...order, payment, rev: order.rev + 1 } : ((await ctx.orders.findById(order._id)) ?? order);
}

export type CloseCause =
  /** The user cancelled; the provider is asked to close afterwards (`recordProviderClosed`). */
  | { reason: 'cancelled_by_user' }
  /** Reconcile found it unpaid past its expiry, and asked the provider to close it first. */
  | { reason: 'expired'; providerClosed: boolean }
  /** No prepay order could be made: there is nothing to close at the provider. */
  | { reason: 'prepay_failed' };

/**
 * `pending_payment → closed`: cancelled, expired or never payable. Frees the user to order again
 * and erases the sealed openid (no message is ever sent for a closed order).
 */
export async function closeUnpaid(ctx: AppContext, order: OrderDocument, cause: CloseCause): Promise<OrderDocument | null> {
  const providerClosed = cause.reason === 'expired' ? cause.providerClosed : cause.reason === 'prepay_failed';
  const closed = await ctx.orders.transition({
    orderId: order._id,
    from: 'pending_payment',
    to: 'closed',
    set: {
      closedAt: ctx.now(),
      providerClosed,
      ...(cause.reason === 'prepay_failed' ? { error: { code: 'PAYMENT_UNAVAILABLE', message: 'payment could not be started' } } : {}),
      ...eraseSeal(ctx, order),
      ...erasePayer(ctx, order),
    },
    reason: cause.reason,
    ...(cause.reason === 'expired' ? { detail: { by: 'reconcile', providerClosed } } : {}),
  });
  if (closed) await new ActivePaymentLock(ctx.db).release(order.userHash, order._id);
  return closed;
}

/** The provider closed a closed order too (or says it is closed): reconcile need not ask again. */
export async function recordProviderClosed(ctx: AppContext, order: OrderDocument, audit?: { providerState?: string }): Promise<void> {
  await ctx.orders.patch(order._id, { status: 'closed' }, { providerClosed: true }, false);
  if (audit) {
    await ctx.orders.audit({ orderId: order._id, type: 'closed_at_provider', at: ctx.now(), detail: { by: 'reconcile', ...(audit.providerState ? { providerState: audit.providerState } : {}) } });
  }
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
  const paid = await ctx.orders.move({
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

/**
 * Money arrived for an order that was already closed (the user paid on a sheet opened before).
 * The order stays closed and the money goes back, once: the first caller records the refund with
 * a conditional update, then asks for it; reconcile re-checks it until the provider confirms.
 * Returns false when the refund was recorded before (a duplicate).
 */
export async function refundLatePayment(ctx: AppContext, order: OrderDocument, payment: Payment & { amountFen: number }): Promise<boolean> {
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const refund = { outRefundNo, status: 'requested' as const, requestedAt: ctx.now() };
  const recorded = await ctx.orders.patch(order._id, { status: 'closed', refund: ctx.db.command.exists(false) }, {
    ...(payment.transactionId ? { transactionId: payment.transactionId } : {}),
    // Paid at the provider: there is nothing left to close there.
    providerClosed: true,
    refund,
    ...eraseSeal(ctx, order),
    ...erasePayer(ctx, order),
  });
  if (!recorded) return false;
  await ctx.orders.audit({ orderId: order._id, type: 'late_payment_refund_requested', at: ctx.now(), detail: { outRefundNo, source: payment.source, amountFen: payment.amountFen } });
  log('warn', 'late_payment_refunding', { orderId: order._id, outRefundNo });
  await requestRefund(ctx, { ...order, providerClosed: true, refund });
  return true;
}

// ─── paid / generating ──────────────────────────────────────────────────────────────────────────

/**
 * Claims an order for one generation attempt under `leaseId`: `paid → generating`, or
 * `generating → generating` when the previous worker's lease ran out (it died or timed out; the
 * attempt restarts cleanly, output dropped) and attempts are left.
 */
export async function claimGeneration(ctx: AppContext, orderId: string, leaseId: string): Promise<OrderDocument | null> {
  const now = ctx.now();
  const _ = ctx.db.command;
  const fresh = await ctx.orders.transition({
    orderId,
    from: 'paid',
    to: 'generating',
    set: { leaseId, leaseExpiresAt: now + ctx.env.generationLeaseMs, attempts: 1, generationStartedAt: now },
    reason: 'generation_started',
  });
  if (fresh) return fresh;
  return ctx.orders.transition({
    orderId,
    from: 'generating',
    to: 'generating',
    when: { leaseExpiresAt: _.lt(now), attempts: _.lt(MAX_ATTEMPTS) },
    set: { leaseId, leaseExpiresAt: now + ctx.env.generationLeaseMs, attempts: _.inc(1), output: '', generationStartedAt: now },
    reason: 'generation_resumed',
  });
}

/**
 * Renews the lease of a running attempt, with the output so far when it changed (the page sees
 * that; a bare renewal is bookkeeping and wakes no one). False when the lease is no longer held:
 * taken over, or run out. A lease that ran out is lost even if nobody has taken it over yet: an
 * attempt frozen with its instance past its lease, and thawed by the very invocation that is to
 * take the order over, must not renew it from under that invocation.
 */
export function renewLease(ctx: AppContext, orderId: string, leaseId: string, output?: string): Promise<boolean> {
  return ctx.orders.patch(
    orderId,
    { status: 'generating', leaseId, leaseExpiresAt: ctx.db.command.gt(ctx.now()) },
    { leaseExpiresAt: ctx.now() + ctx.env.generationLeaseMs, ...(output !== undefined ? { output } : {}) },
    output !== undefined,
  );
}

export interface FinishedAnswer {
  text: string;
  usage: OrderUsage;
  /** The staged-rollout label when the candidate chain answered. */
  rollout?: string;
  /** What was tried, for the audit event. */
  attempts: unknown[];
  /** How many content checks the answer took (0 when content security is off). */
  contentChecks?: number;
}

/** Fees and cost are kept to 1/10000 fen so that sums over many orders stay exact to the fen. */
const toTenThousandths = (fen: number) => Math.round(fen * 10_000) / 10_000;

/**
 * `generating → completed` by the attempt holding the lease: the whole answer, its usage, the
 * payment fee and the margin; then the subscribe message the user asked for and, when the merchant
 * is subject to 发货信息管理, the shipping upload (retried by reconcile when it fails). The payer's
 * sealed openid is erased here unless that upload still needs it.
 */
export async function completeGeneration(ctx: AppContext, order: OrderDocument, leaseId: string, answer: FinishedAnswer): Promise<OrderDocument | null> {
  const feeFen = toTenThousandths(order.amountFen * ctx.env.paymentFeeRate);
  const completed = await ctx.orders.transition({
    orderId: order._id,
    from: 'generating',
    to: 'completed',
    when: { leaseId },
    set: {
      output: answer.text,
      outputComplete: true,
      completedAt: ctx.now(),
      usage: answer.usage,
      paymentFeeFen: feeFen,
      ...(answer.rollout ? { rollout: answer.rollout } : {}),
      marginFen: toTenThousandths(order.amountFen - feeFen - answer.usage.costFen),
      ...(ctx.env.shipping.required ? { shipping: { status: 'pending', attempts: 0 } } : erasePayer(ctx, order)),
    },
    reason: 'generation_completed',
    detail: { attempts: answer.attempts, ...(answer.contentChecks !== undefined ? { contentChecks: answer.contentChecks } : {}) },
  });
  if (!completed) return null;
  await tellUser(ctx, completed);
  if (completed.shipping) {
    // A failure here is recorded on the order and retried by reconcile; the answer stands either way.
    await uploadShipping(ctx, completed, 'completion').catch((error: unknown) => log('error', 'shipping_upload_crashed', { orderId: order._id, error: String(error) }));
  }
  return completed;
}

export type RefundCause =
  /** The attempt holding the lease: every model failed. */
  | { reason: 'generation_failed'; leaseId: string; failure: string; attempts: unknown[]; rollout?: string }
  /** Reconcile: no live worker holds the lease and no attempt is left (or it waited too long). */
  | { reason: 'generation_abandoned'; attempts: number }
  /**
   * The attempt holding the lease: the answer did not pass the content check (`content_refused`),
   * or could not be checked (`content_unchecked`, fail closed). It is withheld: never stored, never
   * shown beyond the pieces that had passed, and those are cleared.
   */
  | { reason: 'content_refused' | 'content_unchecked'; leaseId: string; verdict: Record<string, unknown>; checks: number; attempts: unknown[]; rollout?: string };

/** What the page shows (`order.error`): the code says why, so the page can say it plainly. */
const REFUND_ERRORS: Record<RefundCause['reason'], { code: string; message: string }> = {
  generation_failed: { code: 'GENERATION_FAILED', message: 'every model failed; the payment is being refunded' },
  generation_abandoned: { code: 'GENERATION_FAILED', message: 'the answer could not be finished; the payment is being refunded' },
  content_refused: { code: 'CONTENT_REFUSED', message: 'the answer did not pass the content check and was withheld; the payment is being refunded' },
  content_unchecked: { code: 'CONTENT_UNCHECKED', message: 'the answer could not be checked for content, so it was withheld; the payment is being refunded' },
};

function refundDetail(cause: RefundCause): Record<string, unknown> {
  switch (cause.reason) {
    case 'generation_failed':
      return { reason: cause.failure, attempts: cause.attempts };
    case 'generation_abandoned':
      return { by: 'reconcile', attempts: cause.attempts };
    case 'content_refused':
    case 'content_unchecked':
      return { verdict: cause.verdict, contentChecks: cause.checks, attempts: cause.attempts };
  }
}

/** `generating → refunding`: the answer is dropped, the user told why, and the refund asked for. */
export async function beginRefund(ctx: AppContext, order: OrderDocument, cause: RefundCause): Promise<OrderDocument | null> {
  const refunding = await ctx.orders.transition({
    orderId: order._id,
    from: 'generating',
    to: 'refunding',
    when: cause.reason === 'generation_abandoned' ? { leaseExpiresAt: ctx.db.command.lt(ctx.now()) } : { leaseId: cause.leaseId },
    set: {
      output: '',
      error: REFUND_ERRORS[cause.reason],
      ...(cause.reason !== 'generation_abandoned' && cause.rollout ? { rollout: cause.rollout } : {}),
      ...erasePayer(ctx, order),
    },
    reason: cause.reason,
    detail: refundDetail(cause),
  });
  if (refunding) await requestRefund(ctx, refunding);
  return refunding;
}

/**
 * A paid order whose generation never started, for too long (a broken deploy, a function that
 * cannot start): taken from `generate` (`paid → generating` with no lease to renew and no attempt
 * left), then refunded.
 */
export async function refundUnstarted(ctx: AppContext, order: OrderDocument): Promise<OrderDocument | null> {
  const taken = await ctx.orders.transition({
    orderId: order._id,
    from: 'paid',
    to: 'generating',
    set: { leaseId: 'reconcile', leaseExpiresAt: 0, attempts: MAX_ATTEMPTS },
    reason: 'generation_never_started',
    detail: { by: 'reconcile' },
  });
  return taken ? beginRefund(ctx, taken, { reason: 'generation_abandoned', attempts: MAX_ATTEMPTS }) : null;
}

// ─── refunds ────────────────────────────────────────────────────────────────────────────────────

/**
 * Asks the provider for the order's refund (again, after a rejection or a lost answer: same
 * number). Every rejection is an audit event and an error log line; a refund the provider confirms
 * in its answer is settled at once, otherwise it is looked up once and then left to the
 * notification and reconcile.
 */
export async function requestRefund(ctx: AppContext, order: OrderDocument): Promise<'requested' | 'rejected' | 'unanswered' | 'skipped'> {
  if (!refundOutstanding(order)) return 'skipped';
  // A refund confirmed meanwhile (its notification raced this call) is never written back to pending.
  const when = { status: order.status, 'refund.status': ctx.db.command.neq('succeeded') };
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const requestedAt = order.refund?.requestedAt ?? ctx.now();
  const outcome = await askForRefund(ctx, order, refundReason(order));
  if (outcome.kind === 'unanswered') {
    log('warn', 'refund_request_unanswered', { orderId: order._id, outRefundNo, error: outcome.error });
    await ctx.orders.patch(order._id, when, { refund: { outRefundNo, status: 'requested', requestedAt, lastError: outcome.error } }, false);
    return 'unanswered';
  }
  if (outcome.kind === 'rejected') {
    await ctx.orders.patch(order._id, when, { refund: { outRefundNo, status: 'rejected', requestedAt, lastError: outcome.message } });
    await ctx.orders.audit({ orderId: order._id, type: 'refund_rejected', at: ctx.now(), detail: { outRefundNo, message: outcome.message } });
    log('error', 'refund_rejected_needs_operator', { orderId: order._id, outRefundNo, message: outcome.message });
    return 'rejected';
  }
  const refund = { outRefundNo, status: 'requested' as const, requestedAt };
  await ctx.orders.patch(order._id, when, { refund }, false);
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
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  const at = ctx.now();
  if (order.status === 'refunding') {
    const refunded = await ctx.orders.transition({
      orderId: order._id,
      from: 'refunding',
      to: 'refunded',
      set: { refundedAt: at, refund: { outRefundNo, status: 'succeeded', requestedAt: order.refund?.requestedAt ?? at, confirmedAt: at } },
      reason: 'refund_confirmed',
      detail: { source },
    });
    if (refunded) await tellUser(ctx, refunded);
    return refunded !== null;
  }
  if (order.status !== 'closed' || order.refund?.outRefundNo !== outRefundNo) return false;
  const _ = ctx.db.command;
  const marked = await ctx.orders.patch(
    order._id,
    { status: 'closed', 'refund.outRefundNo': outRefundNo, 'refund.status': _.neq('succeeded') },
    { 'refund.status': 'succeeded', 'refund.confirmedAt': at, ...eraseSeal(ctx, order) },
  );
  if (marked) await ctx.orders.audit({ orderId: order._id, type: 'late_payment_refund_confirmed', at, detail: { outRefundNo, source } });
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
  const outRefundNo = outRefundNoFor(order.outTradeNo);
  log('error', 'refund_abnormal_needs_operator', { orderId: order._id, outRefundNo, state, source });
  const _ = ctx.db.command;
  const changed = await ctx.orders.patch(order._id, { status: order.status, 'refund.lastError': _.neq(state) }, { 'refund.lastError': state }, false);
  if (changed) await ctx.orders.audit({ orderId: order._id, type: 'refund_abnormal', at: ctx.now(), detail: { outRefundNo, state, source } });
  return changed;
}

// ─── follow-ups ─────────────────────────────────────────────────────────────────────────────────

/** A finished order (completed or refunded): the message the user subscribed to; the sealed openid never outlives this. */
async function tellUser(ctx: AppContext, order: OrderDocument): Promise<void> {
  const outcome = await sendResultMessage(ctx, order);
  // Sent or failed, the message's own bookkeeping erased it; otherwise nothing will ever use it.
  if (outcome === 'not_sent' && order.subscription?.openidSealed !== undefined) {
    await ctx.orders.patch(order._id, {}, eraseSeal(ctx, order), false);
  }
}
