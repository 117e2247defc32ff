import { createHash } from 'node:crypto';
import type { AppContext } from '../context';
import { log } from '../log';
import { outRefundNoFor } from '../orders/ids';
import { confirmPayment } from '../payments/confirm';
import { settleRefund, surfaceRefundProblem } from '../payments/refunds';
import { TIMESTAMP_WINDOW_SECONDS } from '../payments/v3/crypto';
import { openNotification, type RefundNotification, type TransactionNotification } from '../payments/v3/notification';
import { V3PaymentProvider } from '../payments/v3/provider';
import type { TriggerHandler } from './serve';

/** Nonces of notifications already taken, kept for a little longer than the timestamp window. */
export const NOTIFY_NONCES = 'wechatpay_nonces';
export const NONCE_RETENTION_MS = 2 * TIMESTAMP_WINDOW_SECONDS * 1000;

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

/**
 * Takes the notification's nonce, once. A second notification with the same nonce within the
 * window is a replay: WeChat signs each delivery anew (its retries run for a day, far past the
 * 5-minute timestamp window), so its own retries never reuse one.
 */
async function takeNonce(ctx: AppContext, serial: string, nonce: string): Promise<string | null> {
  const id = createHash('sha256').update(`${serial}\n${nonce}`).digest('hex');
  const nonces = ctx.db.collection(NOTIFY_NONCES);
  try {
    await nonces.add({ data: { _id: id, at: ctx.now() } });
    return id;
  } catch (error) {
    const { data } = await nonces.where({ _id: id }).limit(1).get();
    if (data.length > 0) return null;
    throw error;
  }
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
  if (!order || notification.outRefundNo !== outRefundNoFor(order.outTradeNo)) {
    log('warn', 'v3_refund_for_unknown_order', { outTradeNo: notification.outTradeNo });
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
  await surfaceRefundProblem(ctx, order, notification.eventType === 'REFUND.CLOSED' ? 'CLOSED' : 'ABNORMAL', 'v3_refund_notification');
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
    nonceId = await takeNonce(ctx, opened.headers.serial, opened.headers.nonce);
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
    await ctx.db.collection(NOTIFY_NONCES).where({ _id: nonceId }).remove().catch(() => undefined);
    return refused(500, 'try again');
  }
};

/** Old nonces are dropped by reconcile, a bounded batch at a time. */
export async function pruneNotifyNonces(ctx: AppContext): Promise<number> {
  const _ = ctx.db.command;
  const { stats } = await ctx.db.collection(NOTIFY_NONCES).where({ at: _.lt(ctx.now() - NONCE_RETENTION_MS) }).remove();
  return stats.removed;
}
