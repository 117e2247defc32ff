/**
 * The order state machine: the one table of allowed status changes (a contract; see
 * docs/ARCHITECTURE.md, "Order lifecycle"). Every status change in the product is a command of
 * ./lifecycle/, which writes it through `OrderRepository.transition()` (./repository.ts); that
 * refuses any change this table does not allow.
 */
export const ORDER_STATUSES = [
  'pending_payment',
  'paid',
  'generating',
  'completed',
  'refunding',
  'refunded',
  'closed',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

const ALLOWED: Record<OrderStatus, readonly OrderStatus[]> = {
  pending_payment: ['paid', 'closed'],
  paid: ['generating'],
  // generating → generating is a lease re-claim by a resumed attempt, never a new payment.
  generating: ['generating', 'completed', 'refunding'],
  refunding: ['refunded'],
  completed: [],
  refunded: [],
  closed: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function isTerminal(status: OrderStatus): boolean {
  return ALLOWED[status].length === 0;
}

/**
 * A token top-up (virtual payment): `pending_payment → paid` once its payment is confirmed, or
 * `→ closed` when it expired unpaid. WeChat credits the tokens itself when the user pays, so a
 * top-up closed here and paid at WeChat afterwards (a sheet left open) still becomes paid: there is
 * nothing to refund, the user has the tokens. A paid top-up never changes again.
 */
export const TOP_UP_STATUSES = ['pending_payment', 'paid', 'closed'] as const;
export type TopUpStatus = (typeof TOP_UP_STATUSES)[number];

const TOP_UP_ALLOWED: Record<TopUpStatus, readonly TopUpStatus[]> = {
  pending_payment: ['paid', 'closed'],
  closed: ['paid'],
  paid: [],
};

export function canTransitionTopUp(from: TopUpStatus, to: TopUpStatus): boolean {
  return TOP_UP_ALLOWED[from].includes(to);
}
