import type { Database } from '../platform/wxCloud';
import { ACTIVE_PAYMENTS } from './repository';

/**
 * One active payment per user: a document keyed by the user's hash names the user's pending order.
 * Taking it is atomic (an insert with a fixed `_id`, or a conditional take-over of a stale one).
 */
export class ActivePaymentLock {
  constructor(private readonly db: Database) {}

  /** Returns null when taken, or the order id that holds it. */
  /**
   * `isStale` decides whether the holder may be taken over; it is told how long ago the holder took
   * the lock (its order may not be stored yet when that was a moment ago).
   */
  async take(
    userHash: string,
    orderId: string,
    expiresAt: number,
    isStale: (holder: string, heldForMs: number) => Promise<boolean>,
    now: () => number = Date.now,
  ): Promise<string | null> {
    const collection = this.db.collection(ACTIVE_PAYMENTS);
    let holder: string | null = null;
    // A few rounds at most: another request may release or take the lock between two steps.
    for (let round = 0; round < 3; round += 1) {
      try {
        await collection.add({ data: { _id: userHash, orderId, expiresAt, takenAt: now() } });
        return null;
      } catch {
        // Held already: take it over only if the holder's order is no longer payable.
      }
      const { data } = await collection.where({ _id: userHash }).limit(1).get();
      const current = data[0]?.orderId;
      if (typeof current !== 'string') continue; // released meanwhile: try to insert again
      holder = current;
      const takenAt = typeof data[0]?.takenAt === 'number' ? (data[0].takenAt as number) : 0;
      if (!(await isStale(holder, now() - takenAt))) return holder;
      const result = await collection.where({ _id: userHash, orderId: holder }).update({ data: { orderId, expiresAt, takenAt: now() } });
      if (result.stats.updated === 1) return null;
    }
    return holder ?? orderId;
  }

  async release(userHash: string, orderId: string): Promise<void> {
    await this.db.collection(ACTIVE_PAYMENTS).where({ _id: userHash, orderId }).remove();
  }
}
