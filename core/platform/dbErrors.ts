/**
 * An insert refused because the `_id` (or another unique key) is taken. CloudBase's database is
 * MongoDB underneath and answers a taken key with MongoDB's E11000 "duplicate key" error, passed
 * through as the message of a -502001 (database request fail) that wx-server-sdk throws; the local
 * emulation answers it the same way (local/cloudbase/database.ts). Any other failure of a write may
 * mean anything, including that the write happened and only its answer was lost.
 */
export function isDuplicateKey(error: unknown): boolean {
  const errMsg = typeof error === 'object' && error !== null ? (error as { errMsg?: unknown }).errMsg : undefined;
  const text = error instanceof Error ? error.message : typeof errMsg === 'string' ? errMsg : String(error);
  return /E11000|duplicate key/i.test(text);
}
