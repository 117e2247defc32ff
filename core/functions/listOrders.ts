import { AppError } from '../errors';
import { toClientOrder } from '../orders/order';
import { optionalInteger, optionalString } from './input';
import type { ClientHandler } from './serve';

const PREVIEW_CHARS = 80;

export const listOrders: ClientHandler = async (ctx, input, caller) => {
  const limit = optionalInteger(input, 'limit', 1, 50) ?? 20;
  const cursor = optionalString(input, 'cursor', 20);
  let before: number | null = null;
  if (cursor !== undefined) {
    if (!/^\d{1,16}$/.test(cursor)) throw new AppError('INVALID_INPUT', 'cursor must be the nextCursor of a previous page');
    before = Number(cursor);
  }
  const page = await ctx.orders.listForUser(caller.userHash, before, limit + 1);
  const orders = page.slice(0, limit).map((order) => {
    const view = toClientOrder(order);
    return { ...view, output: [...view.output].slice(0, PREVIEW_CHARS).join('') };
  });
  const last = orders[orders.length - 1];
  return { orders, nextCursor: page.length > limit && last ? String(last.createdAt) : null };
};
