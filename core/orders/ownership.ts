import type { AppContext } from '../context';
import { AppError } from '../errors';
import type { OrderDocument } from './order';
import type { Caller } from '../functions/serve';

/** Another user's order is indistinguishable from one that does not exist. */
export async function findOwnOrder(ctx: AppContext, caller: Caller, orderId: string): Promise<OrderDocument> {
  const order = await ctx.orders.findById(orderId);
  if (!order || order.userHash !== caller.userHash) throw new AppError('NOT_FOUND', 'no such order');
  return order;
}
