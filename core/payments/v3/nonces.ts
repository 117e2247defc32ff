import { createHash } from 'node:crypto';
import type { Database } from '../../platform/wxCloud';
import { TIMESTAMP_WINDOW_SECONDS } from './crypto';

/**
 * The nonces of WeChat Pay API v3 notifications already taken (replay protection). `payNotify`
 * takes them; `reconcile` prunes old ones.
 */
export const NOTIFY_NONCES = 'wechatpay_nonces';
/** Kept for a little longer than the timestamp window: an older notification is refused anyway. */
export const NONCE_RETENTION_MS = 2 * TIMESTAMP_WINDOW_SECONDS * 1000;

/**
 * Takes the notification's nonce, once: the id of the stored nonce, or null when it was taken
 * before. A second notification with the same nonce within the window is a replay: WeChat signs
 * each delivery anew (its retries run for a day, far past the 5-minute timestamp window), so its
 * own retries never reuse one.
 */
export async function takeNonce(db: Database, serial: string, nonce: string, now: number): Promise<string | null> {
  const id = createHash('sha256').update(`${serial}\n${nonce}`).digest('hex');
  const nonces = db.collection(NOTIFY_NONCES);
  try {
    await nonces.add({ data: { _id: id, at: now } });
    return id;
  } catch (error) {
    const { data } = await nonces.where({ _id: id }).limit(1).get();
    if (data.length > 0) return null;
    throw error;
  }
}

/** Gives a nonce back (its notification was not handled), so that WeChat's next delivery is taken. */
export async function releaseNonce(db: Database, id: string): Promise<void> {
  await db.collection(NOTIFY_NONCES).where({ _id: id }).remove();
}

/** Drops nonces older than the retention, in one conditional remove. */
export async function pruneNotifyNonces(db: Database, now: number): Promise<number> {
  const _ = db.command;
  const { stats } = await db.collection(NOTIFY_NONCES).where({ at: _.lt(now - NONCE_RETENTION_MS) }).remove();
  return stats.removed;
}
