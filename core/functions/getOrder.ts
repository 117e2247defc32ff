import { toClientOrder, type OrderDocument } from '../orders/order';
import { findOwnOrder } from '../orders/ownership';
import { isTerminal } from '../orders/states';
import { queryPendingPayment } from '../payments/verifyPending';
import type { AppContext } from '../context';
import { optionalInteger, requiredString } from './input';
import type { ClientHandler } from './serve';

/** A long-poll never holds a request longer than this, far inside the platform's ~5 s window. */
export const MAX_WAIT_MS = 3_000;
const POLL_INTERVAL_MS = 150;
/** A paid order that has not started generating after this long is dispatched again. */
const REDISPATCH_AFTER_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function nudge(ctx: AppContext, order: OrderDocument): Promise<void> {
  const now = ctx.now();
  if (order.status === 'pending_payment' && now - order.createdAt >= ctx.env.paymentGraceMs) {
    await queryPendingPayment(ctx, order, 'query_order_by_page');
  } else if (order.status === 'paid' && order.paidAt !== undefined && now - order.paidAt >= REDISPATCH_AFTER_MS) {
    await ctx.dispatchGeneration(order._id);
  }
}

export const getOrder: ClientHandler = async (ctx, input, caller) => {
  const orderId = requiredString(input, 'orderId', 64);
  const waitMs = Math.min(optionalInteger(input, 'waitMs', 0, 60_000) ?? 0, MAX_WAIT_MS);
  const knownRev = optionalInteger(input, 'knownRev', 0, Number.MAX_SAFE_INTEGER);
  const startedAt = Date.now();
  let order = await findOwnOrder(ctx, caller, orderId);
  await nudge(ctx, order);
  const baseline = knownRev ?? order.rev;
  while (order.rev <= baseline && !isTerminal(order.status)) {
    const left = waitMs - (Date.now() - startedAt);
    if (left <= 0) break;
    await sleep(Math.min(POLL_INTERVAL_MS, left));
    order = (await ctx.orders.findById(orderId)) ?? order;
  }
  return {
    order: toClientOrder(order),
    ...(order.status === 'pending_payment' && order.payment ? { payment: order.payment } : {}),
  };
};
