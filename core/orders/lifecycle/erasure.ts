import type { AppContext } from '../../context';
import type { OrderDocument } from '../order';
import type { OrderWrite } from '../repository';

/** The sealed openid of a subscription is kept only while a message may still be sent. */
export function eraseSeal(ctx: AppContext, order: OrderDocument): OrderWrite {
  return order.subscription ? { 'subscription.openidSealed': ctx.db.command.remove() } : {};
}

/**
 * The payer's sealed openid is kept only while a platform call on the user's behalf still needs it
 * (the answer's content checks, the shipping upload, a provider call that names the payer): never
 * once an order is closed for good or refunded.
 */
export function erasePayer(ctx: AppContext, order: Pick<OrderDocument, 'payerOpenidSealed' | 'payerIp'>): OrderWrite {
  const _ = ctx.db.command;
  return {
    ...(order.payerOpenidSealed !== undefined ? { payerOpenidSealed: _.remove() } : {}),
    ...(order.payerIp !== undefined ? { payerIp: _.remove() } : {}),
  };
}

/**
 * Virtual payment names the payer in every call about a purchase or a token spend (query_order,
 * refund_order, cancel_currency_pay): there the payer's sealed openid is kept until the money
 * story of the order ends (refunded, or closed at WeChat), not only while the answer is written.
 */
export function payerNeededForMoney(ctx: AppContext): boolean {
  return ctx.env.payMode === 'virtual';
}
