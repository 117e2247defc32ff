/**
 * Asking a question paid with tokens: createOrder with `payWith: 'tokens'` (and the conversation it
 * follows up). There is no payment sheet: the order comes back paid or already being written.
 *
 * Spending tokens is signed on the server with the user's session key (virtual payment's user
 * signature, docs/VIRTUAL-PAYMENT.md). When the server holds none, or WeChat replaced it, it answers
 * SESSION_EXPIRED; the question is then asked once more with a fresh code from `wx.login` (WeChat
 * docs: wx.login, "code 只能使用一次，5分钟有效"), which the server exchanges (code2Session).
 */
import { cloudApi } from './cloud';
import type { AskInput, AskResult, Outcome } from './types';

export interface Question {
  prompt: string;
  tier: string;
  conversationId?: string;
}

/** `wx.getDeviceInfo().platform` (ios, android, ohos, windows, mac, devtools), or undefined where it is missing. */
export function devicePlatform(): string | undefined {
  try {
    if (typeof wx.getDeviceInfo === 'function') return wx.getDeviceInfo().platform;
    return wx.getSystemInfoSync().platform;
  } catch {
    return undefined;
  }
}

/** A fresh login code, or null when wx.login failed. */
export function loginCode(): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      wx.login({
        success: (result) => resolve(typeof result.code === 'string' && result.code ? result.code : null),
        fail: () => resolve(null),
      });
    } catch {
      resolve(null);
    }
  });
}

export async function askWithTokens(question: Question): Promise<Outcome<AskResult>> {
  const platform = devicePlatform();
  const input: AskInput = {
    prompt: question.prompt,
    tier: question.tier,
    payWith: 'tokens',
    ...(question.conversationId ? { conversationId: question.conversationId } : {}),
    ...(platform ? { platform } : {}),
  };
  const first = await cloudApi().ask(input);
  if (first.ok || first.error.code !== ('SESSION_EXPIRED' as string)) return first;
  const code = await loginCode();
  if (!code) return first;
  return cloudApi().ask({ ...input, loginCode: code });
}
