import { deleteOwnConversation } from '../conversations/deletion';
import { parseConversationId } from '../conversations/ids';
import type { ClientHandler } from './serve';

/**
 * Deletes one of the caller's conversations and erases its prompts and answers (docs/PRIVACY.md,
 * "Deleting a conversation"). `{ ok: true }`; another user's is NOT_FOUND; a turn still waiting for
 * payment or being answered is INVALID_STATE and nothing changes.
 */
export const deleteConversation: ClientHandler = async (ctx, input, caller) => {
  await deleteOwnConversation(ctx, caller.userHash, parseConversationId(input.conversationId));
  return {};
};
