import type { AppContext } from '../context';
import { log } from '../log';
import { markPaid, recordRefusedEvidence, recordTopUpPaid, refundLatePayment, type RefusedEvidence } from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import type { TopUpDocument } from '../orders/topUp';
import { hashOpenid } from '../security/identity';
import type { NoticeReading } from './provider';
import { providerCall } from './retryPolicy';
import { giveBonus } from './topUps';

/** Something that says an order (or a top-up) was paid: a notification, a callback, a provider's answer. */
export interface PaymentEvidence {
  outTradeNo: string;
  /** What it says was paid, in fen; null when it does not say (then the provider's query does). */
  amountFen: number | null;
  /** For an answer paid with tokens: the tokens WeChat took (the spend's own answer). */
  amountTokens?: number;
  transactionId?: string;
  /** The payer it names, when it names one: it must be the order's own user. */
  payerOpenid?: string;
  /**
   * true: believed as it is (a notification whose signature the provider checked, or the
   * provider's own answer in this call); false: a hint, confirmed with the provider's query first.
   */
  verified: boolean;
  /** Where it came from: 'cloudpay_callback', 'v3_notification', 'query_order_by_page', … */
  source: string;
}

/** What a provider's notice of a payment or a top-up says, as evidence to weigh. */
export function noticeEvidence(notice: Extract<NoticeReading, { kind: 'payment' | 'top_up' }>): PaymentEvidence {
  return {
    outTradeNo: notice.outTradeNo,
    amountFen: notice.amountFen,
    ...(notice.kind === 'payment' && notice.transactionId ? { transactionId: notice.transactionId } : {}),
    ...(notice.payerOpenid ? { payerOpenid: notice.payerOpenid } : {}),
    verified: notice.verified,
    source: notice.source,
  };
}

export type EvidenceOutcome =
  | 'confirmed'
  | 'duplicate'
  | 'not_paid'
  | 'amount_mismatch'
  | 'payer_mismatch'
  | 'unknown_order'
  | 'late_payment_refunded';

/** What was paid for: an order or a top-up, as far as weighing the evidence goes. */
interface Payable {
  _id: string;
  outTradeNo: string;
  amountFen: number;
  amountTokens?: number;
  userHash: string;
}

type Weighed = { believed: true; transactionId?: string } | { believed: false; outcome: 'not_paid' } | { believed: false; outcome: 'amount_mismatch' | 'payer_mismatch'; refused: RefusedEvidence };

/**
 * The rules every piece of evidence is weighed by, whatever it pays for:
 * 1. a hint is confirmed with the provider's own `queryOrder`, whose answer then stands (a hint
 *    whose amount differs from the provider's is refused);
 * 2. one rule for a payment that does not fit (another amount, another payer): never believed.
 */
async function weigh(ctx: AppContext, payable: Payable, evidence: PaymentEvidence): Promise<Weighed> {
  let amountFen = evidence.amountFen;
  let transactionId = evidence.transactionId;
  let payerOpenid = evidence.payerOpenid;
  if (!evidence.verified) {
    const trade = await providerCall(ctx.clock, 'query', () => ctx.payments.queryOrder(payable.outTradeNo));
    if (trade.state !== 'SUCCESS' && trade.state !== 'REFUND') return { believed: false, outcome: 'not_paid' };
    if (trade.amountFen === undefined || (evidence.amountFen !== null && trade.amountFen !== evidence.amountFen)) {
      return { believed: false, outcome: 'amount_mismatch', refused: { reason: 'amount_mismatch', expectedFen: payable.amountFen, notifiedFen: evidence.amountFen, providerFen: trade.amountFen ?? null, source: evidence.source } };
    }
    amountFen = trade.amountFen;
    transactionId = trade.transactionId ?? transactionId;
    payerOpenid = trade.payerOpenid ?? payerOpenid;
  }
  if (payerOpenid !== undefined && hashOpenid(payerOpenid, ctx.env.openidHashSecret) !== payable.userHash) {
    return { believed: false, outcome: 'payer_mismatch', refused: { reason: 'payer_mismatch', source: evidence.source } };
  }
  if (amountFen !== payable.amountFen || evidence.amountTokens !== payable.amountTokens) {
    return { believed: false, outcome: 'amount_mismatch', refused: { reason: 'amount_mismatch', expectedFen: payable.amountFen, notifiedFen: amountFen, source: evidence.source } };
  }
  return { believed: true, ...(transactionId ? { transactionId } : {}) };
}

/** A purchase found paid some other way than its delivery push: the provider is told it was delivered (best effort, logged). */
async function reportDelivered(ctx: AppContext, order: OrderDocument, source: string): Promise<void> {
  if (source === 'xpay_goods_deliver_notify' || order.payWith === 'tokens' || !ctx.payments.confirmDelivery) return;
  await ctx.payments.confirmDelivery(order.outTradeNo).catch((error: unknown) => log('warn', 'delivery_not_reported', { orderId: order._id, error: String(error).slice(0, 200) }));
}

/**
 * The one path by which money is believed, whatever the mode and wherever the evidence came from
 * (a callback, a signed notification, a push, the page's or reconcile's query, a cancel that finds
 * the order paid, a token spend's own answer):
 * 1. a hint is confirmed with the provider's own `queryOrder`, whose answer then stands (a hint
 *    whose amount differs from the provider's is refused);
 * 2. one rule for a payment that does not fit the order, another amount or another payer: never
 *    believed, recorded once (`recordRefusedEvidence`: an audit event and an error log line for the
 *    operator) and acknowledged, since hearing it again would change nothing;
 * 3. an order of the right amount becomes paid exactly once (`markPaid`, a conditional update:
 *    every duplicate changes nothing), and money for an order that closed meanwhile goes back
 *    (`refundLatePayment`).
 * A provider that cannot be asked throws (`PaymentUnavailableError`, after ./retryPolicy.ts's
 * retries): a callback then fails so that the platform sends it again, and reconcile asks later.
 */
export async function acceptPaymentEvidence(ctx: AppContext, evidence: PaymentEvidence, known?: OrderDocument | null): Promise<EvidenceOutcome> {
  const order = known !== undefined ? known : await ctx.orders.findByOutTradeNo(evidence.outTradeNo);
  if (!order) {
    log('warn', 'payment_for_unknown_order', { outTradeNo: evidence.outTradeNo, source: evidence.source });
    return 'unknown_order';
  }
  // Paid already (or further): nothing any evidence says can change it, so the provider is not asked.
  if (order.status !== 'pending_payment' && order.status !== 'closed') return 'duplicate';
  const weighed = await weigh(ctx, order, evidence);
  if (!weighed.believed) {
    if (weighed.outcome !== 'not_paid') await recordRefusedEvidence(ctx, order, weighed.refused);
    return weighed.outcome;
  }
  const payment = { ...(weighed.transactionId ? { transactionId: weighed.transactionId } : {}), source: evidence.source };
  if (order.status === 'pending_payment' && (await markPaid(ctx, order, payment))) {
    await reportDelivered(ctx, order, evidence.source);
    return 'confirmed';
  }
  const current = order.status === 'closed' ? order : await ctx.orders.findById(order._id);
  if (current?.status === 'closed') {
    return (await refundLatePayment(ctx, current, { ...payment, amountFen: order.amountFen })) ? 'late_payment_refunded' : 'duplicate';
  }
  return 'duplicate';
}

/**
 * The same path for a token top-up (virtual payment): the same rules, then the top-up is recorded
 * paid exactly once and its pack's bonus given. WeChat credits the bought tokens itself; a top-up we
 * had closed that turns out paid is simply paid (the user has the tokens, there is nothing to refund).
 */
export async function acceptTopUpEvidence(ctx: AppContext, evidence: PaymentEvidence, known?: TopUpDocument | null): Promise<EvidenceOutcome> {
  const topUp = known !== undefined ? known : await ctx.topUps.findByOutTradeNo(evidence.outTradeNo);
  if (!topUp) {
    log('warn', 'top_up_for_unknown_order', { outTradeNo: evidence.outTradeNo, source: evidence.source });
    return 'unknown_order';
  }
  if (topUp.status === 'paid') return 'duplicate';
  const weighed = await weigh(ctx, topUp, evidence);
  if (!weighed.believed) {
    if (weighed.outcome !== 'not_paid') await recordRefusedEvidence(ctx, topUp, weighed.refused);
    return weighed.outcome;
  }
  if (!(await recordTopUpPaid(ctx, topUp, { ...(weighed.transactionId ? { transactionId: weighed.transactionId } : {}), source: evidence.source }))) return 'duplicate';
  if (topUp.bonusTokens > 0) await giveBonus(ctx, { ...topUp, status: 'paid', bonus: { status: 'due' } });
  return 'confirmed';
}
