import type { Database } from '../platform/wxCloud';
import { ORDER_EVENTS, type AuditEvent } from './repository';
import { canTransitionTopUp, type TopUpStatus } from './states';
import type { TopUpDocument } from './topUp';

export const TOP_UPS = 'top_ups';

export interface TopUpReader {
  findByOutTradeNo(outTradeNo: string): Promise<TopUpDocument | null>;
  find(condition: Record<string, unknown>, limit: number, orderBy?: keyof TopUpDocument): Promise<TopUpDocument[]>;
  countCreatedSince(userHash: string, since: number): Promise<number>;
}

export interface TopUpTransition {
  outTradeNo: string;
  from: TopUpStatus;
  to: TopUpStatus;
  set?: Record<string, unknown>;
  reason: string;
  detail?: Record<string, unknown>;
}

/**
 * Token top-ups in the store, written like orders: a status change is one conditional update
 * (`where status = from`, a new `rev`) plus one audit event in the orders' event log, so two
 * callers that learn of the same payment at once credit it once.
 */
export class TopUpRepository implements TopUpReader {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  async insert(topUp: TopUpDocument): Promise<void> {
    await this.db.collection(TOP_UPS).add({ data: topUp as unknown as Record<string, unknown> });
    await this.audit({ orderId: topUp._id, type: 'top_up_created', to: 'pending_payment', at: topUp.createdAt, detail: { packId: topUp.packId } });
  }

  async findByOutTradeNo(outTradeNo: string): Promise<TopUpDocument | null> {
    const { data } = await this.db.collection(TOP_UPS).where({ _id: outTradeNo }).limit(1).get();
    return (data[0] as unknown as TopUpDocument | undefined) ?? null;
  }

  async find(condition: Record<string, unknown>, limit: number, orderBy: keyof TopUpDocument = 'createdAt'): Promise<TopUpDocument[]> {
    const { data } = await this.db.collection(TOP_UPS).where(condition).orderBy(orderBy, 'asc').limit(limit).get();
    return data as unknown as TopUpDocument[];
  }

  async countCreatedSince(userHash: string, since: number): Promise<number> {
    const { total } = await this.db.collection(TOP_UPS).where({ userHash, createdAt: this.db.command.gte(since) }).count();
    return total;
  }

  /** True when this call made the change (and appended its event); false when the top-up was not in `from`. */
  async move(request: TopUpTransition): Promise<boolean> {
    if (!canTransitionTopUp(request.from, request.to)) throw new Error(`top-up state machine: ${request.from} → ${request.to} is not allowed`);
    const at = this.now();
    const result = await this.db
      .collection(TOP_UPS)
      .where({ _id: request.outTradeNo, status: request.from })
      .update({ data: { ...request.set, status: request.to, rev: this.db.command.inc(1), updatedAt: at } });
    if (result.stats.updated !== 1) return false;
    await this.audit({ orderId: request.outTradeNo, type: request.reason, from: request.from, to: request.to, at, ...(request.detail ? { detail: request.detail } : {}) });
    return true;
  }

  /** A change that is not a status change (a claim, a bonus given). */
  async patch(outTradeNo: string, when: Record<string, unknown>, set: Record<string, unknown>): Promise<boolean> {
    const result = await this.db.collection(TOP_UPS).where({ ...when, _id: outTradeNo }).update({ data: set });
    return result.stats.updated === 1;
  }

  async audit(event: AuditEvent): Promise<void> {
    await this.db.collection(ORDER_EVENTS).add({ data: event as unknown as Record<string, unknown> });
  }
}

/** The read-only view of the top-ups that a function's context carries. */
export function topUpReader(db: Database, now: () => number): TopUpReader {
  return new TopUpRepository(db, now);
}
