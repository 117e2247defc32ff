import { randomBytes, randomInt } from 'node:crypto';
import type { Collection, Database } from '../../core/platform/wxCloud';
import type { XpayFaults } from './faults';
import { allOf } from '../store/allOf';

/**
 * Message push (消息推送) in cloud-function mode, as CloudBase delivers it: the event JSON is the
 * invocation's `event` of the one function configured for its `<MsgType, Event>`
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloud/guide/functions/openapi.md),
 * and the function's answer acknowledges it. A push not acknowledged is sent again: "如果推送响应格式
 * 不对，微信会重新推送，最多试15次", "重试间隔为2 4 8 16..." seconds, `RetryTimes` counting from 0
 * (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html#消息推送);
 * locally the intervals are `2^n × pushRetryUnitMs`. Every push is kept in the platform store until
 * it is acknowledged or given up, so a restart carries on sending.
 */

/** Sends one push to a function and returns its reply (the runtime's function host, or a test's). */
export type PushInvoker = (functionName: string, event: Record<string, unknown>) => Promise<unknown>;

export type PushStatus = 'pending' | 'acked' | 'failed' | 'dropped' | 'unrouted';

export interface PushRecord {
  _id: string;
  event: Record<string, unknown>;
  eventName: string;
  route: string | null;
  status: PushStatus;
  /** Attempts made so far (the next one's RetryTimes). */
  attempts: number;
  /** Extra copies the duplicate fault sent. */
  copies: number;
  createdAt: number;
  lastAttemptAt?: number;
  ackedAt?: number;
  lastReply?: string;
  /** `emulator`: WeChat's own push; `external`: POSTed to /api/xpay/push by another implementation. */
  origin: 'emulator' | 'external';
}

/** "最多试15次". */
export const MAX_ATTEMPTS = 15;

/** Events whose tables list `RetryTimes` (refund and complaint pushes). */
const WITH_RETRY_TIMES = new Set(['xpay_refund_notify', 'xpay_complaint_notify']);

/**
 * An acknowledgement, per "推送响应格式说明": `{"ErrCode":0,"ErrMsg":"success"}`, or an empty
 * answer, or `success` ("相应内容为空 或者success，表示成功"). Anything else is a failure.
 */
export function isAcknowledgement(reply: unknown): boolean {
  if (reply === undefined || reply === null || reply === '' || reply === 'success') return true;
  if (typeof reply === 'object' && !Array.isArray(reply)) return (reply as { ErrCode?: unknown }).ErrCode === 0;
  return false;
}

function describe(reply: unknown): string {
  try {
    return (typeof reply === 'string' ? reply : JSON.stringify(reply) ?? 'undefined').slice(0, 300);
  } catch {
    return String(reply).slice(0, 300);
  }
}

const pick = ([min, max]: [number, number]) => (max > min ? randomInt(min, max + 1) : min);

export interface PushOptions {
  db: Database;
  invoke: PushInvoker;
  routes: () => Record<string, string>;
  faults: () => XpayFaults;
  retryUnitMs: () => number;
  /** Called once when WeChat's own push is acknowledged (the order is then delivered). */
  onAcknowledged: (record: PushRecord) => Promise<void>;
  now?: () => number;
}

export class PushDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly now: () => number;
  readonly counts = { sent: 0, acknowledged: 0, refused: 0, dropped: 0, duplicated: 0 };

  constructor(private readonly options: PushOptions) {
    this.now = options.now ?? Date.now;
  }

  private get pushes(): Collection {
    return this.options.db.collection('xpay_pushes');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  route(eventName: string): string | null {
    return this.options.routes()[eventName] ?? null;
  }

  /**
   * One delivery through message push: the routed function is invoked with the event, and its reply
   * comes back. This is the single path every push takes: WeChat's own, their retries and copies, and
   * the ones another implementation POSTs to /api/xpay/push.
   */
  async sendOnce(event: Record<string, unknown>): Promise<{ route: string; reply: unknown; acknowledged: boolean } | { route: null }> {
    const route = typeof event.Event === 'string' ? this.route(event.Event) : null;
    if (!route) return { route: null };
    this.counts.sent += 1;
    let reply: unknown;
    try {
      reply = await this.options.invoke(route, event);
    } catch (error) {
      // A function that throws, times out or is killed has not acknowledged the push.
      reply = { invocationError: error instanceof Error ? error.message : String(error) };
    }
    const acknowledged = isAcknowledgement(reply);
    this.counts[acknowledged ? 'acknowledged' : 'refused'] += 1;
    return { route, reply, acknowledged };
  }

  async record(id: string): Promise<PushRecord | null> {
    const { data } = await this.pushes.where({ _id: id }).limit(1).get();
    return (data[0] as unknown as PushRecord | undefined) ?? null;
  }

  all(filter: Record<string, unknown> = {}): Promise<PushRecord[]> {
    return allOf<PushRecord>(() => this.pushes.where(filter).orderBy('createdAt', 'asc'));
  }

  /** A push POSTed by another implementation of WeChat's side: sent once, its reply returned, and kept for inspection. */
  async external(event: Record<string, unknown>): Promise<{ route: string; reply: unknown; acknowledged: boolean } | { route: null }> {
    const result = await this.sendOnce(event);
    const now = this.now();
    const record: PushRecord = {
      _id: `ext_${randomBytes(12).toString('hex')}`,
      event,
      eventName: typeof event.Event === 'string' ? event.Event : '',
      route: result.route,
      status: result.route === null ? 'unrouted' : result.acknowledged ? 'acked' : 'failed',
      attempts: result.route === null ? 0 : 1,
      copies: 0,
      createdAt: now,
      lastAttemptAt: now,
      ...(result.route !== null ? { lastReply: describe(result.reply) } : {}),
      ...(result.route !== null && result.acknowledged ? { ackedAt: now } : {}),
      origin: 'external',
    };
    await this.pushes.add({ data: record as unknown as Record<string, unknown> });
    return result;
  }

  /**
   * WeChat's own push: stored, then sent as the faults say (dropped, delayed, duplicated) and again
   * until acknowledged or tried 15 times.
   */
  async push(event: Record<string, unknown>): Promise<PushRecord> {
    const eventName = String(event.Event);
    const route = this.route(eventName);
    const faults = this.options.faults();
    const dropped = route !== null && Math.random() < faults.pushDrop;
    const record: PushRecord = {
      _id: `push_${randomBytes(12).toString('hex')}`,
      event,
      eventName,
      route,
      status: route === null ? 'unrouted' : dropped ? 'dropped' : 'pending',
      attempts: 0,
      copies: 0,
      createdAt: this.now(),
      origin: 'emulator',
    };
    await this.pushes.add({ data: record as unknown as Record<string, unknown> });
    if (dropped) this.counts.dropped += 1;
    if (record.status !== 'pending') return record;
    const delay = pick(faults.pushDelayMs);
    void this.deliver(record._id, delay);
    if (Math.random() < faults.pushDuplicate) {
      const extra = randomInt(1, 4);
      await this.pushes.where({ _id: record._id }).update({ data: { copies: extra } });
      this.counts.duplicated += extra;
      // Some copies at the same moment as the original, some a little later.
      for (let i = 0; i < extra; i += 1) void this.sendCopy(record._id, i === 0 ? delay : pick([delay, delay + 50]));
    }
    return record;
  }

  private withRetryTimes(record: PushRecord, attempt: number): Record<string, unknown> {
    return WITH_RETRY_TIMES.has(record.eventName) ? { ...record.event, RetryTimes: attempt } : record.event;
  }

  private async acknowledge(record: PushRecord, reply: unknown): Promise<void> {
    const now = this.now();
    const first = await this.pushes.where({ _id: record._id, status: 'pending' }).update({ data: { status: 'acked', ackedAt: now, lastReply: describe(reply) } });
    if (first.stats.updated === 1) await this.options.onAcknowledged(record);
  }

  private async sendCopy(id: string, delayMs: number): Promise<void> {
    await this.sleep(delayMs);
    const record = await this.record(id);
    if (this.closed || !record) return;
    const result = await this.sendOnce(this.withRetryTimes(record, 0));
    if (result.route !== null && result.acknowledged) await this.acknowledge(record, result.reply);
  }

  /** The retry loop of one push, from the attempt it had reached (after a restart too). */
  private async deliver(id: string, firstDelayMs: number): Promise<void> {
    await this.sleep(firstDelayMs);
    for (;;) {
      const record = await this.record(id);
      if (this.closed || !record || record.status !== 'pending') return;
      const attempt = record.attempts;
      await this.pushes.where({ _id: id }).update({ data: { attempts: attempt + 1, lastAttemptAt: this.now() } });
      const result = await this.sendOnce(this.withRetryTimes(record, attempt));
      if (this.closed) return;
      if (result.route !== null && result.acknowledged) return this.acknowledge(record, result.reply);
      await this.pushes.where({ _id: id, status: 'pending' }).update({ data: { lastReply: result.route === null ? 'no route' : describe(result.reply) } });
      if (attempt + 1 >= MAX_ATTEMPTS) {
        await this.pushes.where({ _id: id, status: 'pending' }).update({ data: { status: 'failed' } });
        return;
      }
      await this.sleep(2 ** (attempt + 1) * this.options.retryUnitMs());
    }
  }

  /** After a restart: every push still pending carries on where it was. */
  async resume(): Promise<void> {
    for (const record of await this.all({ status: 'pending', origin: 'emulator' })) void this.deliver(record._id, 0);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
