import { join } from 'node:path';
import type { AuditEvent } from '../core/orders/repository';
import type { OrderDocument } from '../core/orders/order';
import type { TopUpDocument } from '../core/orders/topUp';
import type { CashOrder, CoinOp, PayOrder, RefundOrder } from '../local/wechat/ledger';
import { readCollectionFile } from '../local/store/readCopy';
import { eventCounter } from './invariants';

/**
 * What a virtual-payment run left on disk: the functions' orders, top-ups and audit log, and
 * WeChat's side as the emulator keeps it (its cash orders and token operations). Read from the
 * NeDB files directly, a witness independent of the functions under test.
 */
export interface VirtualSnapshot {
  orders: OrderDocument[];
  topUps: TopUpDocument[];
  events: AuditEvent[];
  cashOrders: CashOrder[];
  coinOps: CoinOp[];
}

export async function readVirtualStore(dataDir: string): Promise<VirtualSnapshot> {
  const load = async <T>(folder: string, collection: string): Promise<T[]> => (await readCollectionFile(join(dataDir, folder, `${collection}.db`))) as unknown as T[];
  return {
    orders: await load<OrderDocument>('functions', 'orders'),
    topUps: await load<TopUpDocument>('functions', 'top_ups'),
    events: await load<AuditEvent>('functions', 'order_events'),
    cashOrders: await load<CashOrder>('platform', 'xpay_orders'),
    coinOps: await load<CoinOp>('platform', 'xpay_coin_ops'),
  };
}

/** The money invariants of virtual payment, each a list of offenders that must be empty. */
export interface VirtualInvariantReport {
  /** An answer whose tokens WeChat took more than once (two spends, or a spend of another amount). */
  tokensSpentTwice: string[];
  /** A failed (refunded) token answer whose tokens did not come back exactly once, in full. */
  failedAnswerTokensNotReturnedOnce: string[];
  /** A token answer that did not fail and yet had tokens given back. */
  tokensReturnedForAnAnswerGiven: string[];
  /** A user whose WeChat balance is not top-ups + gifts − the spends of completed answers. */
  balanceDrift: string[];
  /** An answer generated without WeChat having taken its tokens or its payment. */
  generationWithoutConfirmedSpendOrPayment: string[];
  /** A purchase paid at WeChat that is neither completed nor refunded (in full, once). */
  purchasesNeitherCompletedNorRefunded: string[];
  /** An order paid (confirmed) twice, or generated twice. */
  ordersPaidOrGeneratedTwice: string[];
}

export const VIRTUAL_INVARIANT_LABELS: Record<keyof VirtualInvariantReport, string> = {
  tokensSpentTwice: 'answers whose tokens were spent twice',
  failedAnswerTokensNotReturnedOnce: 'failed answers whose tokens did not come back exactly once',
  tokensReturnedForAnAnswerGiven: 'answers given whose tokens came back anyway',
  balanceDrift: "users whose WeChat balance ≠ top-ups + gifts − spends of completed answers",
  generationWithoutConfirmedSpendOrPayment: 'answers generated without a confirmed spend or payment',
  purchasesNeitherCompletedNorRefunded: 'purchases paid but neither completed nor refunded',
  ordersPaidOrGeneratedTwice: 'orders paid or generated twice',
};

/** query_order statuses of a payment WeChat took: paid, delivering, delivered, refunded, refund failed. */
const PAID_STATUSES = new Set([2, 3, 4, 5, 7]);
const AFTER_PAYMENT = new Set(['paid', 'generating', 'completed', 'refunding', 'refunded']);

/** Per simulated user: the orders they created and the balance WeChat reports for them at the end. */
export type UserLedger = Map<string, { orderIds: string[]; balance: number }>;

export function checkVirtualInvariants(snapshot: VirtualSnapshot, users: UserLedger): VirtualInvariantReport {
  const report: VirtualInvariantReport = {
    tokensSpentTwice: [],
    failedAnswerTokensNotReturnedOnce: [],
    tokensReturnedForAnAnswerGiven: [],
    balanceDrift: [],
    generationWithoutConfirmedSpendOrPayment: [],
    purchasesNeitherCompletedNorRefunded: [],
    ordersPaidOrGeneratedTwice: [],
  };
  const spends = new Map<string, CoinOp[]>();
  const returns = new Map<string, CoinOp[]>();
  for (const op of snapshot.coinOps) {
    if (op.type === 'pay') spends.set(op.orderId, [...(spends.get(op.orderId) ?? []), op]);
    if (op.type === 'cancel' && op.payOrderId) returns.set(op.payOrderId, [...(returns.get(op.payOrderId) ?? []), op]);
  }
  const payOrders = new Map<string, PayOrder>();
  const refundsOf = new Map<string, RefundOrder[]>();
  for (const order of snapshot.cashOrders) {
    if (order.kind === 'pay') payOrders.set(order._id, order);
    else refundsOf.set(order.payOrderId, [...(refundsOf.get(order.payOrderId) ?? []), order]);
  }
  const count = eventCounter(snapshot.events);

  for (const order of snapshot.orders) {
    if (count(order._id, 'payment_confirmed') > 1 || count(order._id, 'generation_completed') > 1) report.ordersPaidOrGeneratedTwice.push(order._id);
    const generated = AFTER_PAYMENT.has(order.status) || count(order._id, 'generation_started') > 0;
    if (order.payWith === 'tokens') {
      const spent = spends.get(order.outTradeNo) ?? [];
      const back = returns.get(order.outTradeNo) ?? [];
      const taken = spent.reduce((sum, op) => sum + op.amount, 0);
      const given = back.reduce((sum, op) => sum + op.amount, 0);
      if (spent.length > 1 || (spent.length === 1 && taken !== order.amountTokens)) report.tokensSpentTwice.push(order._id);
      if (generated && taken !== order.amountTokens) report.generationWithoutConfirmedSpendOrPayment.push(order._id);
      if (order.status === 'refunded' && (back.length !== 1 || given !== taken)) report.failedAnswerTokensNotReturnedOnce.push(order._id);
      // A spend whose answer never came, undone when its order expired, may come back once too; an answer given never.
      if (order.status === 'completed' && back.length > 0) report.tokensReturnedForAnAnswerGiven.push(order._id);
      if (order.status === 'closed' && given !== taken) report.failedAnswerTokensNotReturnedOnce.push(order._id);
    } else {
      const paid = payOrders.get(order.outTradeNo);
      const paidAtWechat = paid !== undefined && PAID_STATUSES.has(paid.status);
      if (generated && (!paidAtWechat || paid.orderFee !== order.amountFen)) report.generationWithoutConfirmedSpendOrPayment.push(order._id);
    }
  }

  // Every purchase WeChat took ends completed, or refunded in full once.
  const orderByNo = new Map(snapshot.orders.map((order) => [order.outTradeNo, order]));
  for (const pay of payOrders.values()) {
    if (!PAID_STATUSES.has(pay.status) || pay.mode !== 'short_series_goods') continue;
    const order = orderByNo.get(pay._id);
    const refunds = (refundsOf.get(pay._id) ?? []).filter((refund) => refund.status === 5);
    const refundedInFull = refunds.length === 1 && refunds[0]?.refundFee === pay.orderFee;
    const finished = order !== undefined && (order.status === 'completed' ? refunds.length === 0 : (order.status === 'refunded' || order.status === 'closed') && refundedInFull);
    if (!finished) report.purchasesNeitherCompletedNorRefunded.push(order?._id ?? pay._id);
  }

  // WeChat's balance, as WeChat reports it, = tokens bought + tokens given − the tokens of the
  // answers our store says were completed (a failed one's came back, an undone one's never stayed).
  const ordersById = new Map(snapshot.orders.map((order) => [order._id, order]));
  for (const [openid, user] of users) {
    const ops = snapshot.coinOps.filter((op) => op.openid === openid && op.env === 0);
    const bought = [...payOrders.values()].filter((p) => p.openid === openid && p.env === 0 && p.mode === 'short_series_coin' && PAID_STATUSES.has(p.status)).reduce((sum, p) => sum + p.quantity, 0);
    const given = ops.filter((op) => op.type === 'present').reduce((sum, op) => sum + op.amount, 0);
    // The user's answers are found by WeChat's spends (an order whose createOrder answer the user
    // never got, a database answer lost, is theirs all the same), and by the orders they saw.
    const theirs = new Set([...ops.filter((op) => op.type === 'pay').map((op) => op.orderId), ...user.orderIds.map((id) => ordersById.get(id)?.outTradeNo)]);
    const answered = snapshot.orders.filter((o) => theirs.has(o.outTradeNo) && o.payWith === 'tokens' && o.status === 'completed').reduce((sum, o) => sum + (o.amountTokens ?? 0), 0);
    if (user.balance !== bought + given - answered) report.balanceDrift.push(`${openid}: WeChat ${user.balance} ≠ ${bought} bought + ${given} given − ${answered} answered`);
  }
  // A top-up recorded paid must be a payment WeChat took.
  for (const topUp of snapshot.topUps) {
    if (topUp.status === 'paid' && !PAID_STATUSES.has(payOrders.get(topUp.outTradeNo)?.status ?? -1)) report.generationWithoutConfirmedSpendOrPayment.push(topUp._id);
  }
  return report;
}

