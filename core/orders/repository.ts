import { randomBytes } from 'node:crypto';
import { isDuplicateKey } from '../platform/dbErrors';
import type { Database, QueryCommand } from '../platform/wxCloud';
import type { OrderDocument, OrderRefund, OrderShipping, OrderSubscription, RedactionCounts } from './order';
import { canTransition, type OrderStatus, type TopUpStatus } from './states';

export const ORDERS = 'orders';
export const ORDER_EVENTS = 'order_events';
export const ACTIVE_PAYMENTS = 'active_payments';

export interface AuditEvent {
  /** The order's id (a top-up's events carry its outTradeNo here). */
  orderId: string;
  type: string;
  from?: OrderStatus | TopUpStatus;
  to?: OrderStatus | TopUpStatus;
  at: number;
  detail?: Record<string, unknown>;
}

/** A stored field's value, or a database command on it (`_.inc(1)`, `_.remove()`, `_.lt(now)`, …). */
type Fields<T> = { [K in keyof T]?: T[K] | QueryCommand };
/** One field of a sub-document, by its dotted path (`'refund.status'`). */
type Nested<Path extends string, T> = { [K in keyof T & string as `${Path}.${K}`]?: T[K] | QueryCommand };

/**
 * What a write sets on an order, or what a condition matches: declared fields of `OrderDocument`
 * only (status and rev are the repository's own), whole or by a sub-document's dotted path.
 */
export type OrderWrite = Fields<Omit<OrderDocument, '_id' | 'status' | 'rev'>> &
  Nested<'redactions', RedactionCounts> &
  Nested<'refund', OrderRefund> &
  Nested<'subscription', OrderSubscription> &
  Nested<'shipping', OrderShipping>;
export type OrderCondition = Fields<OrderDocument> & Nested<'refund', OrderRefund> & Nested<'subscription', OrderSubscription> & Nested<'shipping', OrderShipping>;

export interface TransitionRequest {
  orderId: string;
  from: OrderStatus;
  to: OrderStatus;
  /** Fields written together with the new status. */
  set?: OrderWrite;
  /** Further conditions the order must meet (e.g. the caller's lease). */
  when?: OrderCondition;
  reason: string;
  detail?: Record<string, unknown>;
}

/**
 * What the functions may do with orders outside core/orders: read them. Every write is a named
 * command of the lifecycle (./lifecycle), which alone holds the writing repository (./store.ts);
 * test/lifecycle-guard.test.ts fails on a write to an order collection anywhere else.
 */
export interface OrderReader {
  findById(orderId: string): Promise<OrderDocument | null>;
  findByOutTradeNo(outTradeNo: string): Promise<OrderDocument | null>;
  find(condition: OrderCondition, limit: number, orderBy?: keyof OrderDocument): Promise<OrderDocument[]>;
  listForUser(userHash: string, before: number | null, limit: number): Promise<OrderDocument[]>;
  countCreatedSince(userHash: string, since: number): Promise<number>;
  /** The user's turns of a conversation, oldest first (every status): another user's order naming it is never one. */
  turnsOf(conversationId: string, userHash: string, limit: number): Promise<OrderDocument[]>;
  /** The user's completed turns of a conversation created before `before`, newest first: a follow-up's context. */
  completedTurnsBefore(conversationId: string, userHash: string, before: number, limit: number): Promise<OrderDocument[]>;
  events(orderId: string): Promise<AuditEvent[]>;
}

/**
 * Orders in the store. Every status change is one conditional update (`where status = from`)
 * that always writes a new `rev`, so `updated === 1` means this caller, and only this caller,
 * made the transition; then one audit event is appended.
 */
export class OrderRepository implements OrderReader {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores a new order. An insert whose answer was lost may have happened: the order is read back,
   * and one found with this very creation is stored (a retry would only be refused as a duplicate).
   */
  async insert(order: OrderDocument): Promise<void> {
    try {
      await this.db.collection(ORDERS).add({ data: order as unknown as Record<string, unknown> });
    } catch (error) {
      const stored = await this.findById(order._id).catch(() => null);
      if (stored?.createdAt !== order.createdAt || stored.userHash !== order.userHash) throw error;
    }
    await this.audit({ orderId: order._id, type: 'created', to: order.status, at: order.createdAt });
  }

  async findById(orderId: string): Promise<OrderDocument | null> {
    const { data } = await this.db.collection(ORDERS).where({ _id: orderId }).limit(1).get();
    return (data[0] as unknown as OrderDocument | undefined) ?? null;
  }

  async findByOutTradeNo(outTradeNo: string): Promise<OrderDocument | null> {
    const { data } = await this.db.collection(ORDERS).where({ outTradeNo }).limit(1).get();
    return (data[0] as unknown as OrderDocument | undefined) ?? null;
  }

  async find(condition: OrderCondition, limit: number, orderBy: keyof OrderDocument = 'createdAt'): Promise<OrderDocument[]> {
    const { data } = await this.db.collection(ORDERS).where(condition).orderBy(orderBy, 'asc').limit(limit).get();
    return data as unknown as OrderDocument[];
  }

  async listForUser(userHash: string, before: number | null, limit: number): Promise<OrderDocument[]> {
    const _ = this.db.command;
    const condition: Record<string, unknown> = { userHash };
    if (before !== null) condition.createdAt = _.lt(before);
    const { data } = await this.db.collection(ORDERS).where(condition).orderBy('createdAt', 'desc').limit(limit).get();
    return data as unknown as OrderDocument[];
  }

  async countCreatedSince(userHash: string, since: number): Promise<number> {
    const _ = this.db.command;
    const { total } = await this.db.collection(ORDERS).where({ userHash, createdAt: _.gte(since) }).count();
    return total;
  }

  async turnsOf(conversationId: string, userHash: string, limit: number): Promise<OrderDocument[]> {
    const { data } = await this.db.collection(ORDERS).where({ conversationId, userHash }).orderBy('createdAt', 'asc').limit(limit).get();
    return data as unknown as OrderDocument[];
  }

  async completedTurnsBefore(conversationId: string, userHash: string, before: number, limit: number): Promise<OrderDocument[]> {
    const _ = this.db.command;
    const { data } = await this.db
      .collection(ORDERS)
      .where({ conversationId, userHash, status: 'completed', createdAt: _.lt(before) })
      .orderBy('createdAt', 'desc')
      .limit(limit)
      .get();
    return data as unknown as OrderDocument[];
  }

  /**
   * Returns the order as it stands after this call made the transition (read once, here), or null
   * when the order was not in `from` (or failed `when`) and nothing changed.
   */
  async transition(request: TransitionRequest): Promise<OrderDocument | null> {
    if (!(await this.move(request))) return null;
    const updated = await this.findById(request.orderId);
    if (!updated) throw new Error(`order ${request.orderId} vanished after its ${request.from} → ${request.to} transition`);
    return updated;
  }

  /**
   * The transition without reading the order back: true when this call made it (one conditional
   * update and its audit event), false when the order was not in `from` (or failed `when`). For
   * callers that need only to know who won (two database operations instead of three).
   */
  async move(request: TransitionRequest): Promise<boolean> {
    if (!canTransition(request.from, request.to)) {
      throw new Error(`order state machine: ${request.from} → ${request.to} is not allowed`);
    }
    const _ = this.db.command;
    const at = this.now();
    let result;
    try {
      result = await this.db
        .collection(ORDERS)
        .where({ ...request.when, _id: request.orderId, status: request.from })
        .update({ data: { ...request.set, status: request.to, rev: _.inc(1), updatedAt: at } });
    } catch (error) {
      // The update may have happened and only its answer been lost: the order tells. It is this
      // call's if it stands in `to` with this call's timestamp (a concurrent move of the same order
      // from the same state in the same millisecond cannot be told apart: documented in
      // docs/LOCAL-RUNTIME.md). Otherwise nothing is known to have changed, and the error stands.
      const current = await this.findById(request.orderId).catch(() => null);
      if (current?.status !== request.to || current.updatedAt !== at) throw error;
      result = { stats: { updated: 1 } };
    }
    if (result.stats.updated !== 1) return false;
    await this.audit({
      orderId: request.orderId,
      type: request.reason,
      from: request.from,
      to: request.to,
      at,
      ...(request.detail ? { detail: request.detail } : {}),
    });
    return true;
  }

  /**
   * A change that is not a status change. `visible` changes (output, refund facts) bump `rev` so
   * long-polling pages wake up; bookkeeping (claims, lease renewals) does not.
   */
  async patch(orderId: string, when: OrderCondition, set: OrderWrite, visible = true): Promise<boolean> {
    const _ = this.db.command;
    const result = await this.db
      .collection(ORDERS)
      .where({ ...when, _id: orderId })
      .update({ data: visible ? { ...set, rev: _.inc(1), updatedAt: this.now() } : set });
    return result.stats.updated === 1;
  }

  /**
   * Appends one audit event. Its `_id` is chosen here, so that a second try after a failed write
   * (whose answer may have been lost after the event was stored) is refused as a duplicate instead
   * of storing the event twice.
   */
  async audit(event: AuditEvent): Promise<void> {
    const data = { _id: `${event.orderId}-${randomBytes(6).toString('hex')}`, ...event } as unknown as Record<string, unknown>;
    const add = () => this.db.collection(ORDER_EVENTS).add({ data });
    try {
      await add();
    } catch {
      try {
        await add();
      } catch (again) {
        if (!isDuplicateKey(again)) throw again;
      }
    }
  }

  /**
   * Removes from the details of an order's audit events every field not named in `keep` (erasure:
   * only the facts accounting needs stay). One update per event that has anything to remove.
   */
  async scrubEventDetails(orderId: string, keep: ReadonlySet<string>): Promise<number> {
    const _ = this.db.command;
    const { data } = await this.db.collection(ORDER_EVENTS).where({ orderId }).limit(100).get();
    let scrubbed = 0;
    for (const event of data) {
      const detail = event.detail;
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) continue;
      const dropped = Object.keys(detail).filter((key) => !keep.has(key));
      if (dropped.length === 0 || typeof event._id !== 'string') continue;
      const removal = Object.fromEntries(dropped.map((key) => [`detail.${key}`, _.remove()]));
      await this.db.collection(ORDER_EVENTS).where({ _id: event._id, orderId }).update({ data: removal });
      scrubbed += 1;
    }
    return scrubbed;
  }

  async events(orderId: string): Promise<AuditEvent[]> {
    const { data } = await this.db.collection(ORDER_EVENTS).where({ orderId }).orderBy('at', 'asc').limit(100).get();
    return data as unknown as AuditEvent[];
  }
}

/** The read-only view of the orders that a function's context carries. */
export function orderReader(db: Database, now: () => number): OrderReader {
  return new OrderRepository(db, now);
}
