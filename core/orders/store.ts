import type { AppContext } from '../context';
import { OrderRepository } from './repository';
import { TopUpRepository } from './topUpRepository';

const writers = new WeakMap<AppContext, OrderRepository>();
const topUpWriters = new WeakMap<AppContext, TopUpRepository>();

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

/** The writing side of the token top-ups, for the lifecycle's top-up commands only. */
export function topUpStore(ctx: AppContext): TopUpRepository {
  let writer = topUpWriters.get(ctx);
  if (!writer) {
    writer = new TopUpRepository(ctx.db, ctx.now);
    topUpWriters.set(ctx, writer);
  }
  return writer;
}
