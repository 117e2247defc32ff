import type { AppContext } from '../context';
import { AppError } from '../errors';
import type { ConversationDocument } from './conversation';
import { firstOrderIdOf } from './ids';
import { ConversationRepository } from './repository';
import { titleFrom } from './title';

/** A conversation holds at most this many turns (every turn of it is read at once, and a read returns at most 100). */
export const MAX_TURNS = 50;

export function conversationRepository(ctx: AppContext): ConversationRepository {
  return new ConversationRepository(ctx.db);
}

const notFound = () => new AppError('NOT_FOUND', 'no such conversation');

/**
 * The caller's conversation, not deleted. Another user's conversation, a deleted one and one that
 * never existed are the same answer: NOT_FOUND.
 */
export async function findOwnConversation(ctx: AppContext, userHash: string, conversationId: string): Promise<ConversationDocument> {
  const found = (await conversationRepository(ctx).findById(conversationId)) ?? (await recoverConversation(ctx, conversationId));
  if (!found || found.userHash !== userHash || found.deletedAt !== undefined) throw notFound();
  return found;
}

/**
 * A conversation whose record is missing although its first order exists: the order was stored
 * but recording its turn failed (recordTurn logs and goes on, so an answer is never refused for
 * bookkeeping). Its record is rebuilt from its orders, which say whose it is, its title and its
 * turns. A conversation that was deleted keeps its record (a tombstone), so it is never rebuilt.
 */
async function recoverConversation(ctx: AppContext, conversationId: string): Promise<ConversationDocument | null> {
  const first = await ctx.orders.findById(firstOrderIdOf(conversationId));
  if (!first || first.conversationId !== conversationId || first.erasedAt !== undefined) return null;
  const turns = await ctx.orders.turnsOf(conversationId, first.userHash, MAX_TURNS * 2);
  const last = turns[turns.length - 1] ?? first;
  const rebuilt: ConversationDocument = {
    _id: conversationId,
    userHash: first.userHash,
    title: titleFrom(first.prompt),
    turns: turns.length,
    turnIds: turns.map((turn) => turn._id),
    createdAt: first.createdAt,
    updatedAt: last.createdAt,
  };
  const repository = conversationRepository(ctx);
  return (await repository.insert(rebuilt)) ? rebuilt : repository.findById(conversationId);
}
