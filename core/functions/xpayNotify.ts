import { createHash } from 'node:crypto';
import type { AppContext } from '../context';
import { log } from '../log';
import { checkRefund } from '../orders/lifecycle';
import { acceptPaymentEvidence, acceptTopUpEvidence, noticeEvidence } from '../payments/evidence';
import type { NoticeReading } from '../payments/provider';
import { refundOutstanding } from '../payments/refunds';
import { XPAY_PUSH_ACK } from '../payments/virtual/push';
import { hashOpenid } from '../security/identity';
import type { TriggerHandler } from './serve';

/** Complaints about payments (`xpay_complaint_notify`), kept for the operator. */
export const COMPLAINTS = 'payment_complaints';

/** Anything but `{ ErrCode: 0 }` makes WeChat push again (up to 15 times over about a day). */
const NOT_HANDLED = { ErrCode: 1, ErrMsg: 'not handled yet; push again' } as const;

async function recordComplaint(ctx: AppContext, notice: Extract<NoticeReading, { kind: 'complaint' }>): Promise<void> {
  // One record per complaint, whatever the number of pushes: its id is derived from what identifies it.
  const key = JSON.stringify([notice.outTradeNo ?? '', notice.detail.complaintId ?? '', notice.detail.wxOrderId ?? '', notice.detail.complaintTime ?? '']);
  const _id = `complaint-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  const complaints = ctx.db.collection(COMPLAINTS);
  const { data } = await complaints.where({ _id }).limit(1).get();
  if (data.length === 0) {
    await complaints.add({
      data: {
        _id,
        ...(notice.outTradeNo ? { outTradeNo: notice.outTradeNo } : {}),
        ...(notice.payerOpenid ? { userHash: hashOpenid(notice.payerOpenid, ctx.env.openidHashSecret) } : {}),
        detail: notice.detail,
        receivedAt: ctx.now(),
        status: 'open',
      },
    });
  }
  // The operator is alerted every time WeChat pushes it: a complaint has a deadline on WeChat's side.
  log('error', 'payment_complaint_needs_operator', { outTradeNo: notice.outTradeNo ?? null, complaintId: _id });
}

/**
 * Mini program virtual payment's pushes, routed here by CloudBase's message push (消息推送): the
 * delivery of a purchased item, a token top-up paid, a refund's end, a user's complaint. None is
 * signed, so each is a hint that the provider's own query confirms (core/payments/evidence.ts):
 * the env, the payer and the amount must be our record's. `{ ErrCode: 0, ErrMsg: "success" }` only
 * once the push is durably handled; duplicates change nothing and are acknowledged.
 */
export const xpayNotify: TriggerHandler = async (ctx, event) => {
  const notice = ctx.payments.readNotice('xpay_push', { event, now: ctx.now() });
  try {
    switch (notice.kind) {
      case 'payment':
        await acceptPaymentEvidence(ctx, noticeEvidence(notice));
        break;
      case 'top_up':
        await acceptTopUpEvidence(ctx, noticeEvidence(notice));
        break;
      case 'refund': {
        const order = await ctx.orders.findByOutTradeNo(notice.outTradeNo);
        if (order && refundOutstanding(order)) await checkRefund(ctx, order._id);
        break;
      }
      case 'complaint':
        await recordComplaint(ctx, notice);
        break;
      case 'not_mine':
        // Another PAY_MODE is configured: acknowledging would lose a push WeChat will not send again.
        log('error', 'xpay_push_without_virtual_payment', {});
        return NOT_HANDLED;
      case 'rejected':
      case 'ignored':
        break;
    }
  } catch (error) {
    log('error', 'xpay_push_not_handled', { kind: notice.kind, error: error instanceof Error ? error.message : String(error) });
    return NOT_HANDLED;
  }
  return XPAY_PUSH_ACK;
};
