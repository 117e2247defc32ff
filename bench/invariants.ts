import type { OrderDocument } from '../core/orders/order';
import type { AuditEvent } from '../core/orders/repository';
import type { StoreSnapshot } from './store';

/** The money invariants (docs/VERIFICATION.md, "Money invariants"), each a count that must be 0, with a few offending orders to look at. */
export interface InvariantReport {
  generationWithoutConfirmedPayment: string[];
  ordersPaidTwice: string[];
  refundsIssuedTwice: string[];
  paidOrdersNeitherCompletedNorRefunded: string[];
  tamperedNotificationsAccepted: string[];
  ordersCompletedAndRefunded: string[];
  ordersGeneratedTwice: string[];
}

export const INVARIANT_LABELS: Record<keyof InvariantReport, string> = {
  generationWithoutConfirmedPayment: 'generations without confirmed payment (of the right amount)',
  ordersPaidTwice: 'orders paid twice',
  refundsIssuedTwice: 'refunds issued twice (or more refunded than paid)',
  paidOrdersNeitherCompletedNorRefunded: 'paid orders neither completed nor refunded',
  tamperedNotificationsAccepted: 'tampered notifications accepted',
  ordersCompletedAndRefunded: 'orders both completed and refunded',
  ordersGeneratedTwice: 'orders generated twice',
};

const PAID_TRADE = new Set(['SUCCESS', 'REFUND']);
/** Statuses an order can only reach through a confirmed payment. */
const AFTER_PAYMENT = new Set(['paid', 'generating', 'completed', 'refunding', 'refunded']);

/** Audit events that only a payment believed can cause. */
const PAYMENT_EVENTS = ['payment_confirmed', 'late_payment_refund_requested'];

/**
 * Checks the stored orders and audit events against the payment ledger.
 * `forgedOrders` are unpaid orders a forged notification was sent for (by the driver): one that
 * nevertheless shows a payment (an event, or a status only a payment reaches) while the ledger has
 * no payment for it was changed by the forgery. Every order paid with an amount other than the
 * ledger's counts too.
 */
export function checkInvariants(snapshot: StoreSnapshot, forgedOrders: string[] = []): InvariantReport {
  const tradeByNo = new Map(snapshot.trades.map((t) => [t.outTradeNo, t]));
  const orderByNo = new Map(snapshot.orders.map((o) => [o.outTradeNo, o]));
  const eventsOf = eventCounter(snapshot.events);
  const count = (order: OrderDocument, type: string) => eventsOf(order._id, type);

  const report: InvariantReport = {
    generationWithoutConfirmedPayment: [],
    ordersPaidTwice: [],
    refundsIssuedTwice: [],
    paidOrdersNeitherCompletedNorRefunded: [],
    tamperedNotificationsAccepted: [],
    ordersCompletedAndRefunded: [],
    ordersGeneratedTwice: [],
  };

  const refundsByTrade = new Map<string, { records: number; fen: number }>();
  for (const refund of snapshot.refunds) {
    const sum = refundsByTrade.get(refund.outTradeNo) ?? { records: 0, fen: 0 };
    sum.records += 1;
    sum.fen += refund.refundFen;
    refundsByTrade.set(refund.outTradeNo, sum);
  }

  for (const order of snapshot.orders) {
    const trade = tradeByNo.get(order.outTradeNo);
    const confirmed = count(order, 'payment_confirmed');
    // The ledger decides whether money arrived; the audit log is not trusted for it (a kill -9
    // between an order's update and its audit append can lose the event, see docs/ARCHITECTURE.md,
    // "Known limitations").
    const reachedPaid = AFTER_PAYMENT.has(order.status) || confirmed > 0 || count(order, 'generation_started') > 0;
    if (reachedPaid) {
      const paidInLedger = trade !== undefined && PAID_TRADE.has(trade.state);
      if (!paidInLedger) report.generationWithoutConfirmedPayment.push(order._id);
      if (trade && paidInLedger && trade.amountFen !== order.amountFen) {
        report.generationWithoutConfirmedPayment.push(order._id);
        report.tamperedNotificationsAccepted.push(order._id);
      }
    }
    if (confirmed > 1) report.ordersPaidTwice.push(order._id);
    if (count(order, 'refund_confirmed') > 1) report.refundsIssuedTwice.push(order._id);
    if (count(order, 'generation_completed') > 1) report.ordersGeneratedTwice.push(order._id);
    const refunded = refundsByTrade.get(order.outTradeNo);
    if (order.status === 'completed' && refunded) report.ordersCompletedAndRefunded.push(order._id);
  }

  const orderById = new Map(snapshot.orders.map((o) => [o._id, o]));
  for (const orderId of new Set(forgedOrders)) {
    const order = orderById.get(orderId);
    if (!order) continue;
    const trade = tradeByNo.get(order.outTradeNo);
    if (trade && PAID_TRADE.has(trade.state)) continue; // really paid meanwhile (its own journey)
    if (AFTER_PAYMENT.has(order.status) || PAYMENT_EVENTS.some((type) => count(order, type) > 0)) report.tamperedNotificationsAccepted.push(order._id);
  }

  for (const trade of snapshot.trades) {
    const refunded = refundsByTrade.get(trade.outTradeNo);
    if (refunded && (refunded.records > 1 || refunded.fen > trade.amountFen)) report.refundsIssuedTwice.push(trade.outTradeNo);
    if (!PAID_TRADE.has(trade.state)) continue;
    const order = orderByNo.get(trade.outTradeNo);
    const finished =
      order !== undefined &&
      (order.status === 'completed' ||
        order.status === 'refunded' ||
        // Money that arrived for an order already closed goes back in full; the order stays closed.
        (order.status === 'closed' && refunded !== undefined && refunded.fen === trade.amountFen));
    if (!finished) report.paidOrdersNeitherCompletedNorRefunded.push(order?._id ?? trade.outTradeNo);
  }
  return report;
}

/** A report of money invariants (this file's, or virtual payment's): each names what broke it. */
type ViolationLists<R> = { [K in keyof R]: string[] };

export function violations<R extends ViolationLists<R>>(report: R): number {
  return (Object.values(report) as string[][]).reduce((sum, ids) => sum + ids.length, 0);
}

/** Counts per invariant, for assertions and tables (all must be 0). */
export function invariantCounts<R extends ViolationLists<R>>(report: R): Record<keyof R, number> {
  return Object.fromEntries(Object.entries(report).map(([key, ids]) => [key, (ids as string[]).length])) as Record<keyof R, number>;
}

/** How many audit events of each type each order has. */
export function eventCounter(events: readonly AuditEvent[]): (orderId: string, type: string) => number {
  const counts = new Map<string, number>();
  for (const event of events) {
    const key = `${event.orderId}\u0000${event.type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return (orderId, type) => counts.get(`${orderId}\u0000${type}`) ?? 0;
}

/** What a run that broke no money rule reports: every invariant counted at 0. */
export const NO_VIOLATIONS = Object.fromEntries(Object.keys(INVARIANT_LABELS).map((key) => [key, 0])) as Record<keyof InvariantReport, number>;
