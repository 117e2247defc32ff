/**
 * What the user is writing, and the purchase waiting for payment, kept in storage so that both
 * survive a reload, a crash or WeChat unloading the mini program. WeChat keeps storage per user:
 * "storage 以用户维度隔离，同一台设备上，A 用户无法读取到 B 用户的数据" (WeChat docs: 存储,
 * developers.weixin.qq.com/miniprogram/dev/framework/ability/storage.html), so one key is one user's.
 */

export interface Draft {
  prompt: string;
  tier: string;
}

/** The purchase waiting for payment: its order, and the question as the user typed it (the server keeps it redacted). */
export interface PendingPurchase {
  orderId: string;
  prompt: string;
  tier: string;
}

const DRAFT_KEY = 'homeDraft';
const PENDING_KEY = 'pendingPurchase';

function read(key: string): unknown {
  try {
    return wx.getStorageSync(key);
  } catch {
    return null;
  }
}

function write(key: string, value: object | null): void {
  try {
    if (value === null) wx.removeStorageSync(key);
    else wx.setStorageSync(key, value);
  } catch {
    // Storage full or unavailable: the page still holds it for this visit.
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

export function saveDraft(draft: Draft): void {
  write(DRAFT_KEY, draft.prompt === '' ? null : { prompt: draft.prompt, tier: draft.tier });
}

export function readDraft(): Draft | null {
  const value = read(DRAFT_KEY);
  if (!isRecord(value) || typeof value.prompt !== 'string' || typeof value.tier !== 'string') return null;
  return { prompt: value.prompt, tier: value.tier };
}

export function clearDraft(): void {
  write(DRAFT_KEY, null);
}

/** A question handed to the home page from another page ("ask again"): it becomes the draft. */
export function leaveDraft(next: Draft): void {
  saveDraft(next);
}

export function savePendingPurchase(pending: PendingPurchase): void {
  write(PENDING_KEY, { orderId: pending.orderId, prompt: pending.prompt, tier: pending.tier });
}

export function readPendingPurchase(): PendingPurchase | null {
  const value = read(PENDING_KEY);
  if (!isRecord(value) || typeof value.orderId !== 'string' || typeof value.prompt !== 'string' || typeof value.tier !== 'string') return null;
  return { orderId: value.orderId, prompt: value.prompt, tier: value.tier };
}

export function clearPendingPurchase(): void {
  write(PENDING_KEY, null);
}
