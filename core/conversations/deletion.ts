import type { AppContext } from '../context';
import { AppError } from '../errors';
import { log } from '../log';
import { eraseTurn, isErasable } from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import type { ConversationDocument } from './conversation';
import { conversationRepository, findOwnConversation, MAX_TURNS } from './ownership';

/** How many times a deletion looks again when a turn was recorded while it looked. */
const ROUNDS = 3;

/**
 * Deletes one of the caller's conversations (PIPL art. 47, the right to deletion): afterwards it
 * is NOT_FOUND for everyone, its title and every turn's prompt and answer are erased from the
 * store, and the orders keep only what accounting needs (core/orders/lifecycle/turnErasure.ts).
 *
 * A turn that may still be answered (waiting for payment, paid, being generated) makes the
 * deletion answer INVALID_STATE and change nothing: its text would be written again after the
 * erasure. The page says to wait until it ends (or cancel the unpaid one) and try again. A turn
 * whose refund is under way is erased at once (a refund never reads text).
 *
 * Steps: check the turns; mark the conversation deleted, on condition that no turn was recorded
 * since (else look again); then erase every turn. A turn stored at that moment by another device
 * finds the conversation deleted when it records itself, and is closed unpaid and erased there
 * (./turns.ts). A deletion interrupted after the mark is finished by the next call, which finds
 * the mark and erases what is left; it answers as the first would have.
 */
export async function deleteOwnConversation(ctx: AppContext, userHash: string, conversationId: string): Promise<void> {
  const repository = conversationRepository(ctx);
  for (let round = 0; round < ROUNDS; round += 1) {
    const stored = await repository.findById(conversationId);
    if (stored?.deletedAt !== undefined && stored.userHash === userHash) return eraseTurns(ctx, stored);
    // The caller's and not deleted: already read. Otherwise the lookup answers (a missing record rebuilt, or NOT_FOUND).
    const conversation = stored?.userHash === userHash ? stored : await findOwnConversation(ctx, userHash, conversationId);
    const turns = await turnsOf(ctx, conversation);
    const busy = turns.filter((turn) => !isErasable(turn));
    if (busy.length > 0) {
      throw new AppError('INVALID_STATE', 'a question of this conversation is still waiting for payment or being answered; delete it once that has ended', {
        orderIds: busy.map((turn) => turn._id),
      });
    }
    if (await repository.markDeleted(conversation, ctx.now())) {
      log('info', 'conversation_deleted', { conversationId, turns: turns.length });
      return eraseTurns(ctx, { ...conversation, deletedAt: ctx.now() });
    }
  }
  throw new AppError('INVALID_STATE', 'this conversation is changing right now; please try again');
}

async function turnsOf(ctx: AppContext, conversation: ConversationDocument): Promise<OrderDocument[]> {
  return ctx.orders.turnsOf(conversation._id, conversation.userHash, MAX_TURNS * 2);
}

/**
 * Erases the text of every turn of a conversation marked deleted. A turn that is not erasable now
 * joined after the mark was checked: it is closed and erased by its own recordTurn.
 */
async function eraseTurns(ctx: AppContext, conversation: ConversationDocument): Promise<void> {
  for (const turn of await turnsOf(ctx, conversation)) await eraseMoving(ctx, turn);
}

/** Erases one turn; a refund that ends meanwhile moves the order, so it is read again and erased in its new status. */
async function eraseMoving(ctx: AppContext, turn: OrderDocument): Promise<void> {
  let current: OrderDocument | null = turn;
  for (let round = 0; current && isErasable(current) && round < ROUNDS; round += 1) {
    if (await eraseTurn(ctx, current)) return;
    current = await ctx.orders.findById(turn._id);
  }
  if (current && isErasable(current)) throw new Error(`conversation deletion: turn ${turn._id} kept moving; the next call finishes it`);
}
