/**
 * A question that could not be asked for want of tokens, handed to the home page's top-up and
 * kept until it is asked. The conversation page writes it and opens the home page on top of itself
 * with `?topUp=1`; the home page tops up and goes back (wx.navigateBack), where the conversation
 * page still holds the question; were the app closed meanwhile, the conversation page fills its box
 * from here when it opens again. Kept in storage (wx.setStorageSync) so that it survives the app
 * being closed; removed once the question is asked, and when its conversation is deleted.
 */

export const TOP_UP_HANDOFF_KEY = 'topUpHandoff';

/** The home page's query that asks it to open the top-up at once. */
export const TOP_UP_ROUTE = '/pages/index/index?topUp=1';

export interface KeptQuestion {
  prompt: string;
  tier: string;
  /** The conversation it follows up; absent for a first question. */
  conversationId?: string;
  /** Tokens the question costs and the balance at the time (INSUFFICIENT_BALANCE's details), when known. */
  priceTokens?: number;
  balance?: number;
}

function isKeptQuestion(value: unknown): value is KeptQuestion {
  if (!value || typeof value !== 'object') return false;
  const kept = value as Record<string, unknown>;
  return typeof kept.prompt === 'string' && typeof kept.tier === 'string' && (kept.conversationId === undefined || typeof kept.conversationId === 'string');
}

export function keepQuestionForTopUp(question: KeptQuestion): void {
  try {
    wx.setStorageSync(TOP_UP_HANDOFF_KEY, question);
  } catch {
    // Storage full or unavailable: the question is still in the page that asked it.
  }
}

/** The kept question, if any (it stays until `forgetKeptQuestion`). */
export function keptQuestion(): KeptQuestion | null {
  try {
    const value: unknown = wx.getStorageSync(TOP_UP_HANDOFF_KEY);
    return isKeptQuestion(value) ? value : null;
  } catch {
    return null;
  }
}

/** Removes the kept question when it belongs to this conversation ('' for a new one): it was asked, or the conversation deleted. */
export function forgetKeptQuestion(conversationId: string): void {
  const kept = keptQuestion();
  if (!kept || (kept.conversationId ?? '') !== conversationId) return;
  try {
    wx.removeStorageSync(TOP_UP_HANDOFF_KEY);
  } catch {
    // Nothing to remove.
  }
}
