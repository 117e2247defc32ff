import { toClientSummary } from '../conversations/conversation';
import { conversationRepository } from '../conversations/ownership';
import type { HistoryCursor } from '../conversations/repository';
import { CONVERSATION_ID_PATTERN } from '../conversations/ids';
import { AppError } from '../errors';
import { optionalString } from './input';
import type { ClientHandler } from './serve';

const PAGE = 20;

/** `nextCursor`: the last conversation of the page, `<updatedAt>_<conversationId>`. */
function readCursor(cursor: string | undefined): HistoryCursor | null {
  if (cursor === undefined) return null;
  const match = /^(\d{1,16})_(c[A-Za-z0-9]{23})$/.exec(cursor);
  if (!match || !CONVERSATION_ID_PATTERN.test(match[2] as string)) throw new AppError('INVALID_INPUT', 'cursor must be the nextCursor of a previous page');
  return { updatedAt: Number(match[1]), conversationId: match[2] as string };
}

/** The caller's conversations, newest activity first, a page at a time: `{ conversations, nextCursor }`. */
export const listConversations: ClientHandler = async (ctx, input, caller) => {
  const cursor = readCursor(optionalString(input, 'cursor', 64));
  const page = await conversationRepository(ctx).listForUser(caller.userHash, cursor, PAGE + 1);
  const conversations = page.slice(0, PAGE).map(toClientSummary);
  const last = conversations[conversations.length - 1];
  return { conversations, nextCursor: page.length > PAGE && last ? `${last.updatedAt}_${last.conversationId}` : null };
};
