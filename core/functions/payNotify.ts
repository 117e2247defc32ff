import type { AppContext } from '../context';
import { log } from '../log';
import { checkRefund, recordRefundProblem, settleRefund } from '../orders/lifecycle';
import { acceptPaymentEvidence, noticeEvidence } from '../payments/evidence';
import type { NoticeReading } from '../payments/provider';
import { holdsRefund } from '../payments/refunds';
import { releaseNonce, takeNonce } from '../payments/v3/nonces';
import type { HttpTriggerEvent } from '../payments/v3/httpEvent';
import type { TriggerHandler } from './serve';

/** What it answers: WeChat Pay reads only the status code and, on failure, `{ code, message }`. */
export interface HttpTriggerAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/** Handled (or a harmless duplicate, or evidence that will never be believed): 204 stops WeChat's retries. */
const HANDLED: HttpTriggerAnswer = { statusCode: 204, headers: {}, body: '', isBase64Encoded: false };

/** Any 4xx/5xx with `{ code: "FAIL" }` makes WeChat Pay send the notification again later. */
function refused(statusCode: number, message: string): HttpTriggerAnswer {
  return { statusCode, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: 'FAIL', message: message.slice(0, 64) }), isBase64Encoded: false };
}

async function handleRefund(ctx: AppContext, notice: Extract<NoticeReading, { kind: 'refund' }>): Promise<void> {
  const order = await ctx.orders.findByOutTradeNo(notice.outTradeNo);
  if (!order || notice.outRefundNo === undefined || !holdsRefund(order, notice.outRefundNo)) {
    // Signed by WeChat, yet about no refund of ours (e.g. an order that was never paid): nothing
    // to change, nothing for an operator; acknowledged so that WeChat stops sending it.
    log('warn', 'v3_refund_for_unknown_refund', { outTradeNo: notice.outTradeNo, ...(order ? { orderId: order._id, status: order.status } : {}) });
    return;
  }
  if (notice.state === 'SUCCESS') {
    if (notice.refundFen !== undefined && notice.refundFen !== order.amountFen) {
      // Signed, yet not the refund we asked for: not believed; the refund's own query decides.
      log('error', 'v3_refund_amount_mismatch', { orderId: order._id, expectedFen: order.amountFen, notifiedFen: notice.refundFen });
      await checkRefund(ctx, order._id);
      return;
    }
    await settleRefund(ctx, order, notice.source);
    return;
  }
  if (notice.state === 'CLOSED' || notice.state === 'ABNORMAL') await recordRefundProblem(ctx, order, notice.state, notice.source);
}

/**
 * WeChat Pay API v3 notifications (payments and refunds), over CloudBase HTTP access. The provider
 * reads them (signature over the raw bytes, timestamp window, AES-256-GCM resource); the nonce is
 * taken once; then a payment goes the one way every payment evidence goes
 * (core/payments/evidence.ts). 204 when handled; a store failure is a 500 so that WeChat sends
 * it again.
 */
export const payNotify: TriggerHandler = async (ctx, event) => {
  const request = event as HttpTriggerEvent;
  if (request.httpMethod !== undefined && request.httpMethod.toUpperCase() !== 'POST') return refused(405, 'POST only');
  const notice = ctx.payments.readNotice('v3_http', { event, now: ctx.now() });
  if (notice.kind === 'not_mine') return refused(404, 'API v3 notifications are not enabled (PAY_MODE)');
  if (notice.kind === 'rejected') {
    log('warn', 'v3_notification_rejected', { reason: notice.reason });
    return refused(notice.status, notice.reason);
  }
  const replay = notice.replay;
  if (!replay) return HANDLED;
  let nonceId: string | null;
  try {
    nonceId = await takeNonce(ctx.db, replay.serial, replay.nonce, ctx.now());
  } catch (error) {
    log('error', 'v3_notification_not_stored', { error: String(error) });
    return refused(500, 'try again');
  }
  if (nonceId === null) {
    log('warn', 'v3_notification_rejected', { reason: 'replayed_nonce', id: replay.id });
    return refused(401, 'replayed_nonce');
  }
  try {
    if (notice.kind === 'payment') {
      await acceptPaymentEvidence(ctx, noticeEvidence(notice));
    } else if (notice.kind === 'refund') await handleRefund(ctx, notice);
    return HANDLED;
  } catch (error) {
    // Not handled: give the nonce back so that WeChat's next delivery is taken, and ask for it.
    log('error', 'v3_notification_failed', { id: replay.id, error: error instanceof Error ? error.message : String(error) });
    await releaseNonce(ctx.db, nonceId).catch(() => undefined);
    return refused(500, 'try again');
  }
};
