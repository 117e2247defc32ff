import { AppError } from '../errors';

/**
 * A conversation is named after the order that started it: `c` + that order's 23 random
 * characters (core/orders/ids.ts `newOrderId`: `o` + 23 of [A-Za-z0-9]). A fixed id makes its
 * creation idempotent (a retried insert finds it there), and the first turn can always be found
 * from the conversation and back.
 */
export const CONVERSATION_ID_PATTERN = /^c[A-Za-z0-9]{23}$/;
const ORDER_ID_PATTERN = /^o[A-Za-z0-9]{23}$/;

export function conversationIdFor(orderId: string): string {
  if (!ORDER_ID_PATTERN.test(orderId)) throw new Error(`conversations: "${orderId.slice(0, 40)}" is not an order id`);
  return `c${orderId.slice(1)}`;
}

/** The order that started the conversation. */
export function firstOrderIdOf(conversationId: string): string {
  return `o${conversationId.slice(1)}`;
}

/** A conversation id from the client: a string of the right form, or INVALID_INPUT. */
export function parseConversationId(value: unknown): string {
  if (typeof value !== 'string' || !CONVERSATION_ID_PATTERN.test(value)) {
    throw new AppError('INVALID_INPUT', 'conversationId must be the conversationId of one of your conversations');
  }
  return value;
}
