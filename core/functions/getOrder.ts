import type { OrderDocument } from '../orders/order';
import { findOwnOrder } from '../orders/ownership';
import { isTerminal } from '../orders/states';
import { queryPendingPayment } from '../payments/verifyPending';
import { clientOrderWithStream } from '../streaming/streamUrl';
import type { AppContext } from '../context';
import { optionalInteger, optionalString, requiredString } from './input';
import type { ClientHandler } from './serve';

/** A long-poll never holds a request longer than this, far inside the platform's ~5 s window. */
export const MAX_WAIT_MS = 3_000;
/** How often a waiting long-poll reads the order: each look is a billed database read. */
const POLL_INTERVAL_MS = 300;
/** A paid order that has not started generating after this long is dispatched again. */
const REDISPATCH_AFTER_MS = 5_000;

async function nudge(ctx: AppContext, order: OrderDocument): Promise<void> {
  const now = ctx.now();
  if (order.status === 'pending_payment' && now - order.createdAt >= ctx.env.paymentGraceMs) {
    await queryPendingPayment(ctx, order, 'query_order_by_page');
  } else if (order.status === 'paid' && order.paidAt !== undefined && now - order.paidAt >= REDISPATCH_AFTER_MS) {
    await ctx.dispatchGeneration(order._id);
  }
}

/** What the caller already shows: the order's status and how much of its text. */
interface KnownView {
  status: string;
  chars: number;
}

/**
 * A change the page should see at once: a new status, or the first text of the answer. Further
 * growth of text already shown may wait (settleMs), so that one call carries several batches.
 */
function isUrgent(known: KnownView, now: OrderDocument): boolean {
  // (A final status ends the wait in the loop itself.)
  return stage(now.status) !== stage(known.status) || (known.chars === 0 && now.output.length > 0);
}

/** What the page shows: `paid` and `generating` both read "writing…", so one is no news after the other. */
function stage(status: string): string {
  return status === 'paid' ? 'generating' : status;
}

export const getOrder: ClientHandler = async (ctx, input, caller) => {
  const orderId = requiredString(input, 'orderId', 64);
  const waitMs = Math.min(optionalInteger(input, 'waitMs', 0, 60_000) ?? 0, MAX_WAIT_MS);
  const knownRev = optionalInteger(input, 'knownRev', 0, Number.MAX_SAFE_INTEGER);
  // With settleMs, text that keeps growing is gathered until that long after the call began.
  const settleMs = Math.min(optionalInteger(input, 'settleMs', 0, 60_000) ?? 0, waitMs);
  const knownStatus = optionalString(input, 'knownStatus', 32);
  const knownChars = optionalInteger(input, 'knownChars', 0, Number.MAX_SAFE_INTEGER);
  const startedAt = ctx.clock.now();
  let order = await findOwnOrder(ctx, caller, orderId);
  await nudge(ctx, order);
  // What the caller shows: as it says, or else the order as it stood when the call began.
  const known: KnownView = { status: knownStatus ?? order.status, chars: knownChars ?? order.output.length };
  const baseline = knownRev ?? order.rev;
  while (!isTerminal(order.status)) {
    const elapsed = ctx.clock.now() - startedAt;
    const changed = order.rev > baseline;
    if (changed && (isUrgent(known, order) || elapsed >= settleMs)) break;
    const left = (changed ? settleMs : waitMs) - elapsed;
    if (left <= 0) break;
    await ctx.clock.sleep(Math.min(POLL_INTERVAL_MS, left));
    order = (await ctx.orders.findById(orderId)) ?? order;
  }
  return {
    order: clientOrderWithStream(ctx, order),
    ...(order.status === 'pending_payment' && order.payment ? { payment: order.payment } : {}),
  };
};
