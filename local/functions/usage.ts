/**
 * What each invocation consumed, as CloudBase bills and as the bench reports it: the database
 * operations and calls it made (counted by the CloudBase dispatcher), its wall time, the memory it
 * is configured with (the catalog's `memoryMb`), GBs = memory × wall time, its CPU time (best
 * effort, see instance.ts), whether it started cold, and the keys that tie it to an order.
 */
export interface InvocationUsage {
  /** Order of completion in this runtime. */
  seq: number;
  id: string;
  functionName: string;
  source: string;
  startedAt: number;
  /** Handler time, as billed: from the start of the run to its answer (a cold start's wait is not in it). */
  wallMs: number;
  /** The modelled cold start waited before the run (0 when warm or without a profile). */
  coldStartMs: number;
  cold: boolean;
  /** CPU time of the run, best effort (see instance.ts); null when the realm could not measure it. */
  cpuMs: number | null;
  memoryMb: number;
  /** memoryMb / 1024 × wallMs / 1000. */
  computeGBs: number;
  ok: boolean;
  dbReads: number;
  dbWrites: number;
  functionCalls: number;
  openapiCalls: number;
  payCalls: number;
  /** `event.orderId` / `event.outTradeNo`, and the answer's `order.orderId` / `order.outTradeNo`, when present. */
  keys: { eventOrderId?: string; eventOutTradeNo?: string; resultOrderId?: string; resultOutTradeNo?: string };
}

const KEPT = 20_000;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= 64 ? value : undefined);
const field = (value: unknown, key: string): unknown => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);

/** The order keys of an invocation's event and answer. */
export function orderKeys(event: unknown, result: unknown): InvocationUsage['keys'] {
  const order = field(result, 'order');
  const keys: InvocationUsage['keys'] = {};
  const eventOrderId = text(field(event, 'orderId'));
  const eventOutTradeNo = text(field(event, 'outTradeNo'));
  const resultOrderId = text(field(order, 'orderId'));
  const resultOutTradeNo = text(field(order, 'outTradeNo'));
  if (eventOrderId) keys.eventOrderId = eventOrderId;
  if (eventOutTradeNo) keys.eventOutTradeNo = eventOutTradeNo;
  if (resultOrderId) keys.resultOrderId = resultOrderId;
  if (resultOutTradeNo) keys.resultOutTradeNo = resultOutTradeNo;
  return keys;
}

/** The most recent invocations' usage (a bounded list). */
export class UsageLedger {
  private records: InvocationUsage[] = [];
  private seq = 0;

  add(record: Omit<InvocationUsage, 'seq'>): void {
    this.seq += 1;
    this.records.push({ ...record, seq: this.seq });
    if (this.records.length > KEPT) this.records.splice(0, this.records.length - KEPT);
  }

  list(): InvocationUsage[] {
    return [...this.records];
  }

  clear(): void {
    this.records = [];
  }
}
