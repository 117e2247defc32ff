import type { ClientConversation } from '../conversations/conversation';
import { parseConversationId } from '../conversations/ids';
import { findOwnConversation, MAX_TURNS } from '../conversations/ownership';
import { toClientOrder } from '../orders/order';
import type { ClientHandler } from './serve';

/** One of the caller's conversations with every turn, oldest first. Another user's is NOT_FOUND. */
export const getConversation: ClientHandler = async (ctx, input, caller) => {
  const conversationId = parseConversationId(input.conversationId);
  const found = await findOwnConversation(ctx, caller.userHash, conversationId);
  const turns = await ctx.orders.turnsOf(conversationId, caller.userHash, MAX_TURNS * 2);
  const conversation: ClientConversation = { conversationId, title: found.title, turns: turns.map(toClientOrder) };
  return { conversation };
};
