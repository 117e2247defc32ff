import type { AppContext } from '../context';
import { AppError } from '../errors';
import type { Caller } from '../functions/serve';
import { log } from '../log';
import { closeUnpaid, eraseTurn } from '../orders/lifecycle';
import type { OrderDocument } from '../orders/order';
import type { ConversationDocument } from './conversation';
import { conversationIdFor, firstOrderIdOf, parseConversationId } from './ids';
import { conversationRepository, findOwnConversation, MAX_TURNS } from './ownership';
import { titleFrom } from './title';

/** Where a new order goes: the conversation it starts or continues. */
export interface TurnTarget {
  conversationId: string;
  /** true: the order starts this conversation (its record is written by `recordTurn`). */
  isNew: boolean;
}

/**
 * Step 1 of a turn, in createOrder before anything is written (before the rate limit's lock, a
 * prepay or a token spend): decides the order's conversation. No `conversationId` (undefined or
 * null) starts a new conversation, named after the order (`conversationIdFor(orderId)`); a
 * `conversationId` continues one of the caller's conversations. Reads only (but for rebuilding a
 * conversation's missing record from its orders, ./ownership.ts).
 *
 * - a `conversationId` that is not a conversation id → AppError INVALID_INPUT
 * - another user's, a deleted or an unknown conversation → AppError NOT_FOUND
 * - a conversation of MAX_TURNS turns → AppError INVALID_STATE (start a new one)
 */
export async function openTurn(ctx: AppContext, caller: Pick<Caller, 'userHash'>, request: { conversationId?: unknown; orderId: string }): Promise<TurnTarget> {
  if (request.conversationId === undefined || request.conversationId === null) {
    return { conversationId: conversationIdFor(request.orderId), isNew: true };
  }
  const conversationId = parseConversationId(request.conversationId);
  const conversation = await findOwnConversation(ctx, caller.userHash, conversationId);
  if (conversation.turns >= MAX_TURNS) {
    throw new AppError('INVALID_STATE', `this conversation has ${MAX_TURNS} questions already; start a new one`, { maxTurns: MAX_TURNS });
  }
  return { conversationId, isNew: false };
}

const ROUNDS = 5;

/**
 * Step 2 of a turn, in createOrder right after `openOrder` stored the order and before it can be
 * paid (before the prepay or the token spend): records the order as a turn of its conversation,
 * creating the conversation's record for its first turn (title from the stored, redacted prompt).
 *
 * Idempotent and safe under a lost database answer: the record has a fixed id and each turn is
 * added with a conditional update on the turn count the caller read, after checking the order is
 * not among `turnIds` already; a retry reads again and finds it done.
 *
 * When the conversation was deleted between step 1 and now, the order is closed before anyone can
 * pay it, its text is erased, and AppError NOT_FOUND is thrown (nothing was charged). Any other
 * failure is logged and swallowed: the order stands, carries its `conversationId`, and the record
 * is rebuilt from the orders the next time the conversation is looked up (./ownership.ts).
 */
export async function recordTurn(ctx: AppContext, order: OrderDocument): Promise<void> {
  try {
    // A first turn creates its conversation: one insert, and only a conflict (a retry) costs a read.
    if (firstOrderIdOf(order.conversationId) === order._id && (await startConversation(ctx, order))) return;
    for (let round = 0; round < ROUNDS; round += 1) {
      if (await recordOnce(ctx, order)) return;
    }
    log('error', 'turn_not_recorded', { orderId: order._id, conversationId: order.conversationId, reason: 'contended' });
  } catch (error) {
    if (error instanceof AppError) throw error;
    log('error', 'turn_not_recorded', { orderId: order._id, conversationId: order.conversationId, error: error instanceof Error ? error.message : String(error) });
  }
}

/** One attempt; true when the turn is recorded (by this call or an earlier one). */
async function recordOnce(ctx: AppContext, order: OrderDocument): Promise<boolean> {
  const repository = conversationRepository(ctx);
  const conversation = await repository.findById(order.conversationId);
  if (!conversation) return startConversation(ctx, order);
  if (conversation.userHash !== order.userHash) {
    // openTurn checked the owner: an order can only get here when the caller skipped it.
    log('error', 'turn_in_foreign_conversation', { orderId: order._id, conversationId: order.conversationId });
    return refuseTurn(ctx, order);
  }
  if (conversation.deletedAt !== undefined) return refuseTurn(ctx, order);
  if (conversation.turnIds.includes(order._id)) return true;
  return repository.addTurn(conversation, order._id, ctx.now());
}

async function startConversation(ctx: AppContext, order: OrderDocument): Promise<boolean> {
  if (firstOrderIdOf(order.conversationId) !== order._id) {
    // A follow-up whose conversation has no record: its first turn's recording failed. Looking it
    // up rebuilds the record from the orders (this one included, as it is stored already).
    try {
      await findOwnConversation(ctx, order.userHash, order.conversationId);
    } catch (error) {
      if (error instanceof AppError) return refuseTurn(ctx, order);
      throw error;
    }
    return false;
  }
  const now = ctx.now();
  const conversation: ConversationDocument = {
    _id: order.conversationId,
    userHash: order.userHash,
    title: titleFrom(order.prompt),
    turns: 1,
    turnIds: [order._id],
    createdAt: now,
    updatedAt: now,
  };
  // false: it is there already (a retry, or a rebuild); the next round reads it.
  return conversationRepository(ctx).insert(conversation);
}

/** The turn cannot join its conversation (deleted meanwhile): the order is closed unpaid and its text erased. */
async function refuseTurn(ctx: AppContext, order: OrderDocument): Promise<never> {
  const closed = await closeUnpaid(ctx, order, { reason: 'conversation_deleted' });
  const current = closed ?? (await ctx.orders.findById(order._id));
  if (current && !(await eraseTurn(ctx, current))) {
    // Not pending any more (recordTurn was called after the order could be paid): its text stays
    // until it ends, which is a bug of the caller, not a state to leave silently.
    log('error', 'turn_of_deleted_conversation_not_erased', { orderId: order._id, status: current.status });
  }
  throw new AppError('NOT_FOUND', 'this conversation was deleted');
}
