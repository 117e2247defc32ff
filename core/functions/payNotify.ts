import type { AppContext } from '../context';
import { log } from '../log';
import { recordRefundProblem, settleRefund } from '../orders/lifecycle';
import { confirmPayment } from '../payments/confirm';
import { holdsRefund } from '../payments/refunds';
import { releaseNonce, takeNonce } from '../payments/v3/nonces';
import { openNotification, type RefundNotification, type TransactionNotification } from '../payments/v3/notification';
import { V3PaymentProvider } from '../payments/v3/provider';
import type { TriggerHandler } from './serve';

/** What a CloudBase HTTP-triggered function receives (an integration request). */
export interface HttpTriggerEvent {
  httpMethod?: string;
  headers?: Record<string, unknown>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** What it answers: WeChat Pay reads only the status code and, on failure, `{ code, message }`. */
export interface HttpTriggerAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/** Handled (or a harmless duplicate): 204 stops WeChat's retries. */
const HANDLED: HttpTriggerAnswer = { statusCode: 204, headers: {}, body: '', isBase64Encoded: false };

/** Any 4xx/5xx with `{ code: "FAIL" }` makes WeChat Pay send the notification again later. */
function refused(statusCode: number, message: string): HttpTriggerAnswer {
  return { statusCode, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: 'FAIL', message: message.slice(0, 64) }), isBase64Encoded: false };
}

function rawBody(event: HttpTriggerEvent): Buffer {
  const body = typeof event.body === 'string' ? event.body : '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

async function handleTransaction(ctx: AppContext, notification: TransactionNotification): Promise<HttpTriggerAnswer> {
  if (notification.tradeState !== 'SUCCESS') return HANDLED;
  const order = await ctx.orders.findByOutTradeNo(notification.outTradeNo);
  if (!order) {
    log('warn', 'v3_payment_for_unknown_order', { outTradeNo: notification.outTradeNo });
    return HANDLED;
  }
  if (notification.amountFen !== order.amountFen) {
    // Signed by WeChat yet not what was ordered: never believed, never stored; a person must look.
    log('error', 'v3_notification_amount_mismatch', { orderId: order._id, expectedFen: order.amountFen, notifiedFen: notification.amountFen });
    return refused(400, 'amount differs from the order');
  }
  await confirmPayment(ctx, {
    outTradeNo: notification.outTradeNo,
    amountFen: notification.amountFen,
    ...(notification.transactionId ? { transactionId: notification.transactionId } : {}),
    source: 'v3_notification',
  });
  return HANDLED;
}

async function handleRefund(ctx: AppContext, notification: RefundNotification): Promise<HttpTriggerAnswer> {
  const order = await ctx.orders.findByOutTradeNo(notification.outTradeNo);
  if (!order || !holdsRefund(order, notification.outRefundNo)) {
    // Signed by WeChat, yet about no refund of ours (e.g. an order that was never paid): nothing
    // to change, nothing for an operator; acknowledged so that WeChat stops sending it.
    log('warn', 'v3_refund_for_unknown_refund', { outTradeNo: notification.outTradeNo, eventType: notification.eventType, ...(order ? { orderId: order._id, status: order.status } : {}) });
    return HANDLED;
  }
  if (notification.eventType === 'REFUND.SUCCESS' && notification.refundStatus === 'SUCCESS') {
    if (notification.refundFen !== undefined && notification.refundFen !== order.amountFen) {
      log('error', 'v3_refund_amount_mismatch', { orderId: order._id, expectedFen: order.amountFen, notifiedFen: notification.refundFen });
      return refused(400, 'refund amount differs from the order');
    }
    await settleRefund(ctx, order, 'v3_refund_notification');
    return HANDLED;
  }
  await recordRefundProblem(ctx, order, notification.eventType === 'REFUND.CLOSED' ? 'CLOSED' : 'ABNORMAL', 'v3_refund_notification');
  return HANDLED;
}

/**
 * WeChat Pay API v3 notifications (payments and refunds), over CloudBase HTTP access. Nothing is
 * believed before the platform signature over the raw bytes, the timestamp window, the nonce and
 * the AES-256-GCM resource all check out. 204 only when the notification is truly handled; a
 * store failure is a 500 so that WeChat sends it again.
 */
export const payNotify: TriggerHandler = async (ctx, event) => {
  const request = event as HttpTriggerEvent;
  if (request.httpMethod !== undefined && request.httpMethod.toUpperCase() !== 'POST') return refused(405, 'POST only');
  if (!(ctx.payments instanceof V3PaymentProvider)) return refused(404, 'API v3 notifications are not enabled (PAY_MODE)');
  const opened = openNotification(ctx.payments.config, request.headers ?? {}, rawBody(request), ctx.now());
  if (!opened.ok) {
    log('warn', 'v3_notification_rejected', { reason: opened.reason });
    return refused(opened.status, opened.reason);
  }
  let nonceId: string | null;
  try {
    nonceId = await takeNonce(ctx.db, opened.headers.serial, opened.headers.nonce, ctx.now());
  } catch (error) {
    log('error', 'v3_notification_not_stored', { error: String(error) });
    return refused(500, 'try again');
  }
  if (nonceId === null) {
    log('warn', 'v3_notification_rejected', { reason: 'replayed_nonce', id: opened.notification.id });
    return refused(401, 'replayed_nonce');
  }
  try {
    const { notification } = opened;
    return notification.kind === 'transaction' ? await handleTransaction(ctx, notification) : await handleRefund(ctx, notification);
  } catch (error) {
    // Not handled: give the nonce back so that WeChat's next delivery is taken, and ask for it.
    log('error', 'v3_notification_failed', { id: opened.notification.id, error: error instanceof Error ? error.message : String(error) });
    await releaseNonce(ctx.db, nonceId).catch(() => undefined);
    return refused(500, 'try again');
  }
};
