import { SUBSCRIBE_KEYWORDS, type KeywordSource } from '../config/subscribe';
import type { AppContext } from '../context';
import { log } from '../log';
import { claimResultMessage, recordResultMessage } from '../orders/lifecycle/messages';
import type { OrderDocument } from '../orders/order';
import { unsealOpenid } from '../security/identity';
import { formatBeijingDateTime } from '../time';
import { fitKeyword, yuan } from './keywords';

export const ORDER_PAGE = 'pages/order/order';

function keywordValue(ctx: AppContext, order: OrderDocument, source: KeywordSource): string {
  const tier = ctx.tiers.find((t) => t.id === order.tier);
  switch (source) {
    case 'tierTitle':
      return tier?.title.zh ?? order.tier;
    case 'status':
      return order.status === 'completed' ? '已完成' : '已退款';
    case 'amount':
      return yuan(order.amountFen);
    case 'finishedAt':
      return formatBeijingDateTime(order.completedAt ?? order.refundedAt ?? ctx.now());
    case 'orderNumber':
      return order.outTradeNo;
  }
}

export function messageData(ctx: AppContext, order: OrderDocument): Record<string, { value: string }> {
  const data: Record<string, { value: string }> = {};
  for (const mapping of SUBSCRIBE_KEYWORDS) {
    data[mapping.keyword] = { value: fitKeyword(mapping.kind, keywordValue(ctx, order, mapping.source)) };
  }
  return data;
}

export type MessageOutcome = 'sent' | 'failed' | 'not_sent';

/**
 * Sends the one subscribe message a user accepted, when the order completes or is refunded. The
 * send is claimed first with a conditional update so it happens at most once, and the sealed
 * openid is erased afterwards whatever the outcome. `not_sent`: nothing to send (not subscribed,
 * not finished) or another caller claimed the send first; nothing was written.
 */
export async function sendResultMessage(ctx: AppContext, order: OrderDocument): Promise<MessageOutcome> {
  const subscription = order.subscription;
  if (!subscription?.accepted || !subscription.openidSealed || subscription.sentAt) return 'not_sent';
  if (order.status !== 'completed' && order.status !== 'refunded') return 'not_sent';
  if (!(await claimResultMessage(ctx, order))) return 'not_sent';
  let error: string | undefined;
  try {
    const answer = await ctx.cloud.openapi.subscribeMessage.send({
      touser: unsealOpenid(subscription.openidSealed, ctx.env.openidSealKey),
      templateId: subscription.templateId,
      page: `${ORDER_PAGE}?orderId=${order._id}`,
      data: messageData(ctx, order),
      miniprogramState: ctx.env.miniprogramState,
      lang: 'zh_CN',
    });
    const code = Number(answer.errCode ?? answer.errcode ?? 0);
    if (code !== 0) error = `errCode ${code}`;
  } catch (failure) {
    const code = (failure as { errCode?: number }).errCode;
    error = code !== undefined ? `errCode ${code}` : String(failure);
  }
  await recordResultMessage(ctx, order, error);
  if (error) log('warn', 'subscribe_message_failed', { orderId: order._id, error });
  return error ? 'failed' : 'sent';
}
