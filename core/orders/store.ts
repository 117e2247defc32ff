import type { AppContext } from '../context';
import { OrderRepository } from './repository';

const writers = new WeakMap<AppContext, OrderRepository>();

/**
 * The writing side of the orders, for the lifecycle's commands only (core/orders/). Handlers see
 * `ctx.orders`, a read-only view; test/lifecycle-guard.test.ts fails when this module, the
 * repository class or an order collection is written from anywhere else.
 */
export function orderStore(ctx: AppContext): OrderRepository {
  let writer = writers.get(ctx);
  if (!writer) {
    writer = new OrderRepository(ctx.db, ctx.now);
    writers.set(ctx, writer);
  }
  return writer;
}
