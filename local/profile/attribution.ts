import type { InvocationUsage } from '../functions/usage';

/** What a set of invocations consumed, summed. */
export interface UsageSums {
  invocations: number;
  dbReads: number;
  dbWrites: number;
  functionCalls: number;
  payCalls: number;
  openapiCalls: number;
  computeGBs: number;
  wallMs: number;
  /** Sum of the invocations' CPU time; those that could not measure it count 0. */
  cpuMs: number;
}

function emptySums(): UsageSums {
  return { invocations: 0, dbReads: 0, dbWrites: 0, functionCalls: 0, payCalls: 0, openapiCalls: 0, computeGBs: 0, wallMs: 0, cpuMs: 0 };
}

/** Adds one invocation to `sums`. */
function addUsage(sums: UsageSums, record: InvocationUsage): void {
  sums.invocations += 1;
  sums.dbReads += record.dbReads;
  sums.dbWrites += record.dbWrites;
  sums.functionCalls += record.functionCalls;
  sums.payCalls += record.payCalls;
  sums.openapiCalls += record.openapiCalls;
  sums.computeGBs += record.computeGBs;
  sums.wallMs += record.wallMs;
  sums.cpuMs += record.cpuMs ?? 0;
}

/** What one order consumed, summed over the invocations attributed to it. */
export interface OrderTotals extends UsageSums {
  orderId: string;
  byFunction: Record<string, { invocations: number; dbReads: number; dbWrites: number }>;
}

/**
 * Ties invocations to orders. The rule, in order:
 * 1. the event's `orderId` (getOrder, cancelOrder, generate);
 * 2. the answer's `order.orderId` (createOrder; getOrder and cancelOrder answer it too);
 * 3. the event's `outTradeNo` (payCallback, refundCallback), through an answer that carried both
 *    the order id and the trade number (createOrder's).
 * An invocation none of these name (reconcile's timer runs, payNotify whose body is encrypted,
 * listOrders, listTiers) belongs to no order and is returned apart.
 */
export function attributeToOrders(records: readonly InvocationUsage[]): { orders: Map<string, OrderTotals>; unattributed: InvocationUsage[] } {
  const byTrade = new Map<string, string>();
  for (const record of records) {
    const { resultOrderId, resultOutTradeNo } = record.keys;
    if (resultOrderId && resultOutTradeNo) byTrade.set(resultOutTradeNo, resultOrderId);
  }
  const orders = new Map<string, OrderTotals>();
  const unattributed: InvocationUsage[] = [];
  for (const record of records) {
    const trade = record.keys.eventOutTradeNo ?? record.keys.resultOutTradeNo;
    const orderId = record.keys.eventOrderId ?? record.keys.resultOrderId ?? (trade ? byTrade.get(trade) : undefined);
    if (!orderId) {
      unattributed.push(record);
      continue;
    }
    let totals = orders.get(orderId);
    if (!totals) {
      totals = { orderId, ...emptySums(), byFunction: {} };
      orders.set(orderId, totals);
    }
    addUsage(totals, record);
    const fn = (totals.byFunction[record.functionName] ??= { invocations: 0, dbReads: 0, dbWrites: 0 });
    fn.invocations += 1;
    fn.dbReads += record.dbReads;
    fn.dbWrites += record.dbWrites;
  }
  return { orders, unattributed };
}

/** Per function: invocations and their operations, over a list of invocations. */
export function perFunction(records: readonly InvocationUsage[]): Map<string, UsageSums & { cold: number }> {
  const out = new Map<string, UsageSums & { cold: number }>();
  for (const record of records) {
    const sums = out.get(record.functionName) ?? { ...emptySums(), cold: 0 };
    addUsage(sums, record);
    sums.cold += record.cold ? 1 : 0;
    out.set(record.functionName, sums);
  }
  return out;
}
