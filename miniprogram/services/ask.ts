/**
 * Asking a question paid with tokens (virtual payment): createOrder with `payWith: 'tokens'`, in the
 * conversation it follows up when there is one. There is no payment sheet: the order comes back
 * paid or already being written, or INSUFFICIENT_BALANCE changed nothing.
 *
 * Spending tokens is signed on the server with the user's session key (virtual payment's user
 * signature, docs/VIRTUAL-PAYMENT.md). When the server holds none, or WeChat replaced it, it answers
 * SESSION_EXPIRED; the question is then asked once more with a fresh `wx.login` code
 * (services/login.ts). The home page and the conversation page ask through here.
 */
import { cloudApi } from './cloud';
import { withLogin } from './login';
import { platformField } from './platform';
import type { CreateOrderResult, Outcome } from './types';

export interface Question {
  prompt: string;
  tier: string;
  /** The conversation it follows up; absent: a new conversation starts. */
  conversationId?: string;
  /** The user accepted the result message (sent only by a page that offers it). */
  subscribe?: boolean;
}

export function askWithTokens(question: Question): Promise<Outcome<CreateOrderResult>> {
  return withLogin((loginCode) =>
    cloudApi().createOrder({
      prompt: question.prompt,
      tier: question.tier,
      payWith: 'tokens',
      ...(question.conversationId ? { conversationId: question.conversationId } : {}),
      ...(question.subscribe !== undefined ? { subscribe: question.subscribe } : {}),
      ...platformField(),
      ...(loginCode ? { loginCode } : {}),
    }),
  );
}
