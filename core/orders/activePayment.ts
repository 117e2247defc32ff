import { isDuplicateKey } from '../platform/dbErrors';
import type { Database } from '../platform/wxCloud';
import { ACTIVE_PAYMENTS } from './repository';

interface LockDocument {
  orderId: string;
  takenAt: number;
}

/**
 * One active payment per user: a document keyed by the user's hash names the user's pending order.
 * Taking it is atomic (an insert with a fixed `_id`, or a conditional take-over of a stale one).
 *
 * A write whose answer was lost may have happened: every failed write is followed by a read of the
 * lock, and a lock that names this very order is ours, however the write ended. Only a refused
 * insert ("duplicate key") means someone else may hold it; any other failure with no lock of ours
 * behind it is the caller's error to report, never taken for "held".
 */
export class ActivePaymentLock {
  constructor(private readonly db: Database) {}

  /**
   * Takes the user's lock for `orderId`: null when taken, or the order id that holds it.
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
      let refused: unknown;
      try {
        await collection.add({ data: { _id: userHash, orderId, expiresAt, takenAt: now() } });
        return null;
      } catch (error) {
        refused = error;
      }
      const lock = await this.read(userHash);
      if (lock?.orderId === orderId) return null; // ours: the insert happened, its answer was lost
      if (!lock) {
        if (!isDuplicateKey(refused)) throw refused; // the insert failed, and nobody holds the lock
        continue; // released meanwhile: try to insert again
      }
      holder = lock.orderId;
      if (!(await isStale(holder, now() - lock.takenAt))) return holder;
      // Take over the stale lock: only if it still names that holder.
      try {
        const result = await collection.where({ _id: userHash, orderId: holder }).update({ data: { orderId, expiresAt, takenAt: now() } });
        if (result.stats.updated === 1) return null;
      } catch (error) {
        if ((await this.read(userHash))?.orderId === orderId) return null; // taken over; the answer was lost
        throw error;
      }
    }
    return holder ?? orderId;
  }

  async release(userHash: string, orderId: string): Promise<void> {
    await this.db.collection(ACTIVE_PAYMENTS).where({ _id: userHash, orderId }).remove();
  }

  private async read(userHash: string): Promise<LockDocument | null> {
    const { data } = await this.db.collection(ACTIVE_PAYMENTS).where({ _id: userHash }).limit(1).get();
    const found = data[0];
    if (typeof found?.orderId !== 'string') return null;
    return { orderId: found.orderId, takenAt: typeof found.takenAt === 'number' ? found.takenAt : 0 };
  }
}
