import { uploadShipping } from '../../compliance/shipping';
import type { AppContext } from '../../context';
import { MAX_ATTEMPTS } from '../../generation/lease';
import { log } from '../../log';
import type { OrderDocument, OrderUsage } from '../order';
import { orderStore } from '../store';
import { erasePayer, payerNeededForMoney } from './erasure';
import { tellUser } from './followUps';
import { requestRefund } from './refunds';

// ─── paid / generating ──────────────────────────────────────────────────────────────────────────

/**
 * Claims an order for one generation attempt under `leaseId`: `paid → generating`, or
 * `generating → generating` when the previous worker's lease ran out (it died or timed out; the
 * attempt restarts cleanly, output dropped) and attempts are left.
 */
export async function claimGeneration(ctx: AppContext, orderId: string, leaseId: string): Promise<OrderDocument | null> {
  const store = orderStore(ctx);
  const now = ctx.now();
  const _ = ctx.db.command;
  const fresh = await store.transition({
    orderId,
    from: 'paid',
    to: 'generating',
    set: { leaseId, leaseExpiresAt: now + ctx.env.generationLeaseMs, attempts: 1, generationStartedAt: now },
    reason: 'generation_started',
  });
  if (fresh) return fresh;
  return store.transition({
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
  return orderStore(ctx).patch(
    orderId,
    { status: 'generating', leaseId, leaseExpiresAt: ctx.db.command.gt(ctx.now()) },
    { leaseExpiresAt: ctx.now() + ctx.env.generationLeaseMs, ...(output !== undefined ? { output } : {}) },
    output !== undefined,
  );
}

export interface FinishedAnswer {
  text: string;
  usage: OrderUsage;
  /** The model stopped at `max_tokens` (finish_reason `length`): the page says the answer is cut off. */
  truncated: boolean;
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
  const completed = await orderStore(ctx).transition({
    orderId: order._id,
    from: 'generating',
    to: 'completed',
    when: { leaseId },
    set: {
      output: answer.text,
      outputComplete: true,
      ...(answer.truncated ? { truncated: true } : {}),
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
  const refunding = await orderStore(ctx).transition({
    orderId: order._id,
    from: 'generating',
    to: 'refunding',
    when: cause.reason === 'generation_abandoned' ? { leaseExpiresAt: ctx.db.command.lt(ctx.now()) } : { leaseId: cause.leaseId },
    set: {
      output: '',
      error: REFUND_ERRORS[cause.reason],
      ...(cause.reason !== 'generation_abandoned' && cause.rollout ? { rollout: cause.rollout } : {}),
      // The refund itself may need the payer (virtual payment's refund_order and token return name them).
      ...(payerNeededForMoney(ctx) ? {} : erasePayer(ctx, order)),
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
  const taken = await orderStore(ctx).transition({
    orderId: order._id,
    from: 'paid',
    to: 'generating',
    set: { leaseId: 'reconcile', leaseExpiresAt: 0, attempts: MAX_ATTEMPTS },
    reason: 'generation_never_started',
    detail: { by: 'reconcile' },
  });
  return taken ? beginRefund(ctx, taken, { reason: 'generation_abandoned', attempts: MAX_ATTEMPTS }) : null;
}
