import { SUBSCRIBE_KEYWORDS, type KeywordSource } from '../config/subscribe';
import type { AppContext } from '../context';
import { log } from '../log';
import { claimResultMessage, recordResultMessage } from '../orders/lifecycle/messages';
import type { OrderDocument } from '../orders/order';
import { unsealOpenid } from '../security/identity';
import { formatBeijingDateTime } from '../time';
import { fitKeyword, yuan } from './keywords';

export const ORDER_PAGE = 'pages/order/order';
/** The label every presentation of an answer carries (docs/COMPLIANCE.md, "AI label"). */
export const AI_LABEL = 'AI生成';

function keywordValue(ctx: AppContext, order: OrderDocument, source: KeywordSource): string {
  const tier = ctx.tiers.find((t) => t.id === order.tier);
  switch (source) {
    case 'tierTitle':
      return `${AI_LABEL} · ${tier?.title.zh ?? order.tier}`;
    case 'status':
      return order.status === 'completed' ? '已完成' : '已退款';
    case 'paid':
      return order.payWith === 'tokens' ? `${order.amountTokens ?? 0} 代币` : yuan(order.amountFen);
    case 'amount':
      return yuan(order.payWith === 'tokens' ? (order.amountTokens ?? 0) * ctx.env.tokens.priceFen : order.amountFen);
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

/**
 * WeChat's answer when the user will not take the message: never subscribed, unsubscribed, or the
 * one-time grant (one message per `wx.requestSubscribeMessage` acceptance) was used already
 * ("用户拒绝接受消息", errmsg "user refuse to accept the msg";
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html).
 * It is the user's choice, the commonest answer there is: recorded, never retried.
 */
export const USER_REFUSED = 43101;

/** `refused`: 43101; `failed`: any other error; `not_sent`: nothing to send, or another caller claimed the send. */
export type MessageOutcome = 'sent' | 'refused' | 'failed' | 'not_sent';

/** The platform's errcode of a send: 0 when it resolved, the thrown `errCode` otherwise (null when there is none). */
function sendErrCode(answer: Record<string, unknown> | null, failure: unknown): number | null {
  if (answer) return Number(answer.errCode ?? answer.errcode ?? 0);
  const code = (failure as { errCode?: unknown } | null)?.errCode;
  return typeof code === 'number' ? code : null;
}

/**
 * Sends the one subscribe message a user accepted, when the order completes or is refunded. The
 * send is claimed first with a conditional update so it happens at most once, and the sealed
 * openid is erased afterwards whatever the outcome. A refusal (43101) or a failure is recorded on
 * the order (`subscription.lastError`) and as an audit event, and never retried: the grant was for
 * one message.
 */
export async function sendResultMessage(ctx: AppContext, order: OrderDocument): Promise<MessageOutcome> {
  const subscription = order.subscription;
  if (!subscription?.accepted || !subscription.openidSealed || subscription.sentAt) return 'not_sent';
  if (order.status !== 'completed' && order.status !== 'refunded') return 'not_sent';
  let claimed = false;
  try {
    claimed = await claimResultMessage(ctx, order);
  } catch (error) {
    // Whether the claim happened is unknown: not sending keeps it at most once.
    log('warn', 'subscribe_message_claim_failed', { orderId: order._id, error: String(error) });
  }
  // Whoever holds the claim sends and erases; a claim that is nobody's (a lost answer) must not
  // keep the seal: the caller erases it for 'not_sent' (core/orders/lifecycle/followUps.ts).
  if (!claimed) return 'not_sent';
  let answer: Record<string, unknown> | null = null;
  let failure: unknown = null;
  try {
    answer = await ctx.cloud.openapi.subscribeMessage.send({
      touser: unsealOpenid(subscription.openidSealed, ctx.env.openidSealKey),
      templateId: subscription.templateId,
      page: `${ORDER_PAGE}?orderId=${order._id}`,
      data: messageData(ctx, order),
      miniprogramState: ctx.env.miniprogramState,
      lang: 'zh_CN',
    });
  } catch (error) {
    failure = error;
  }
  const code = sendErrCode(answer, failure);
  const outcome: MessageOutcome = code === 0 ? 'sent' : code === USER_REFUSED ? 'refused' : 'failed';
  const lastError = outcome === 'sent' ? undefined : code !== null ? `errCode ${code}` : String(failure).slice(0, 200);
  if (outcome !== 'sent') {
    log(outcome === 'refused' ? 'info' : 'warn', outcome === 'refused' ? 'subscribe_message_refused' : 'subscribe_message_failed', { orderId: order._id, error: lastError });
  }
  await recordResultMessage(ctx, order, {
    outcome,
    ...(lastError !== undefined ? { lastError } : {}),
    ...(outcome !== 'sent' && code !== null ? { errCode: code } : {}),
  });
  return outcome;
}
