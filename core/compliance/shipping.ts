import type { AppContext } from '../context';
import { log } from '../log';
import type { OrderDocument, OrderShipping } from '../orders/order';
import { claimShippingAttempt, recordShippingFailed, recordShippingUploaded } from '../orders/lifecycle/shipping';
import { complianceOpenApi, openApiFailure, type UploadShippingInfoRequest } from '../platform/openapi';
import { unsealOpenid } from '../security/identity';
import { formatRfc3339Beijing } from '../time';

/**
 * 发货信息管理: for a merchant subject to it, WeChat holds the money of an order until its shipping
 * information is uploaded (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/order-shipping/order-shipping.html).
 * An answer is a virtual good (`logistics_type` 3), delivered in one go (`delivery_mode` 1) when
 * the order completes. Upload: `wxa.sec.order.uploadShippingInfo` (云调用 of
 * `POST /wxa/sec/order/upload_shipping_info`,
 * https://developers.weixin.qq.com/miniprogram/dev/server/API/order_shipping/api_uploadshippinginfo).
 *
 * Each attempt is claimed with a conditional update (so the completion follow-up and reconcile
 * never upload the same order at once), recorded on the order (`shipping`) and as an audit event.
 * A failed attempt is retried by reconcile with a doubling delay, at most SHIPPING_MAX_ATTEMPTS
 * times; then it is left to an operator (the admin console's 发货信息管理 page takes it by hand).
 */

/** Attempts before the upload is left to an operator. */
export const SHIPPING_MAX_ATTEMPTS = 8;
/** `shipping_list[].item_desc`: 商品信息, at most 120 characters. */
export const ITEM_DESC_MAX_CHARS = 120;
/** An attempt still marked `uploading` after this long was left by a worker that died: it may be taken again. */
export const STALE_UPLOAD_MS = 60_000;
const MAX_RETRY_DELAY_MS = 3_600_000;

export class ShippingProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShippingProblem';
  }
}

/**
 * The upload for one completed order. The order is named by WeChat Pay's transaction id
 * (`order_number_type` 2) when it is known, otherwise by merchant id and out_trade_no (type 1).
 * `item_desc` is the tier's pre-approved payment description, never model text.
 */
export function buildShippingRequest(order: Pick<OrderDocument, 'transactionId' | 'outTradeNo' | 'description'>, options: { mchId: string; payerOpenid: string; at: number }): UploadShippingInfoRequest {
  const orderKey: UploadShippingInfoRequest['order_key'] | null = order.transactionId
    ? { order_number_type: 2, transaction_id: order.transactionId }
    : options.mchId
      ? { order_number_type: 1, mchid: options.mchId, out_trade_no: order.outTradeNo }
      : null;
  if (!orderKey) throw new ShippingProblem('the order has no transaction id and no merchant id is configured (WECHATPAY_MCHID / WXPAY_SUB_MCH_ID)');
  const itemDesc = [...order.description.trim()].slice(0, ITEM_DESC_MAX_CHARS).join('');
  if (!itemDesc) throw new ShippingProblem('the order has no description to upload as item_desc');
  if (!options.payerOpenid) throw new ShippingProblem('the payer openid is missing');
  return {
    order_key: orderKey,
    logistics_type: 3,
    delivery_mode: 1,
    shipping_list: [{ item_desc: itemDesc }],
    upload_time: formatRfc3339Beijing(options.at),
    payer: { openid: options.payerOpenid },
  };
}

/** The delay before reconcile retries after the n-th failed attempt: base, 2×base, 4×base, … up to an hour. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** Whether an attempt may start now. */
export function uploadDue(shipping: OrderShipping, now: number, baseMs: number): boolean {
  switch (shipping.status) {
    case 'pending':
      return true;
    case 'failed':
      return now - (shipping.lastAttemptAt ?? 0) >= retryDelayMs(shipping.attempts, baseMs);
    case 'uploading':
      return now - (shipping.lastAttemptAt ?? 0) >= STALE_UPLOAD_MS;
    case 'uploaded':
    case 'gave_up':
      return false;
  }
}

export type UploadOutcome = 'uploaded' | 'failed' | 'gave_up' | 'skipped';

/**
 * Uploads a completed order's shipping information, once it is due. `skipped`: nothing to do (not
 * subject, already uploaded, not due, or another caller holds the attempt).
 */
export async function uploadShipping(ctx: AppContext, order: OrderDocument, by: 'completion' | 'reconcile'): Promise<UploadOutcome> {
  const shipping = order.shipping;
  const now = ctx.now();
  if (!shipping || order.status !== 'completed' || !uploadDue(shipping, now, ctx.env.shipping.retryBaseMs)) return 'skipped';
  const attempt = await claimShippingAttempt(ctx, order);
  if (!attempt) return 'skipped';

  let failure: { errCode?: number; message: string } | null = null;
  let permanent = false;
  try {
    if (!order.payerOpenidSealed) throw new ShippingProblem('the payer openid is no longer kept');
    const request = buildShippingRequest(order, { mchId: ctx.env.shipping.mchId, payerOpenid: unsealOpenid(order.payerOpenidSealed, ctx.env.openidSealKey), at: attempt.at });
    // Resolves only when the platform answered errcode 0; anything else is thrown (core/platform/openapi.ts).
    await complianceOpenApi(ctx.cloud).wxa.sec.order.uploadShippingInfo(request);
  } catch (error) {
    // A problem of our own data will not fix itself by waiting: no retry.
    permanent = error instanceof ShippingProblem;
    failure = openApiFailure(error);
  }

  if (!failure) {
    await recordShippingUploaded(ctx, order, attempt, by);
    return 'uploaded';
  }
  const gaveUp = permanent || attempt.attempt >= SHIPPING_MAX_ATTEMPTS;
  await recordShippingFailed(ctx, order, attempt, { by, ...(failure.errCode !== undefined ? { errCode: failure.errCode } : {}), message: failure.message, gaveUp });
  log(gaveUp ? 'error' : 'warn', gaveUp ? 'shipping_upload_needs_operator' : 'shipping_upload_failed', { orderId: order._id, attempt: attempt.attempt, errCode: failure.errCode ?? null });
  return gaveUp ? 'gave_up' : 'failed';
}
