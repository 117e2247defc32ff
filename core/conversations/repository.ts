import type { Database } from '../platform/wxCloud';
import type { ConversationDocument } from './conversation';

export const CONVERSATIONS = 'conversations';

/** A position in a user's history: the last conversation of the previous page. */
export interface HistoryCursor {
  updatedAt: number;
  conversationId: string;
}

/**
 * The conversations in the store. Every change is conditional (on the owner, on not being
 * deleted, on the turn count the caller read), so two callers never both believe they made it and
 * a lost answer can be retried by reading again.
 */
export class ConversationRepository {
  constructor(private readonly db: Database) {}

  async findById(conversationId: string): Promise<ConversationDocument | null> {
    const { data } = await this.db.collection(CONVERSATIONS).where({ _id: conversationId }).limit(1).get();
    return (data[0] as unknown as ConversationDocument | undefined) ?? null;
  }

  /** Inserts a new conversation under its fixed id; false when one with that id is there already. */
  async insert(conversation: ConversationDocument): Promise<boolean> {
    try {
      await this.db.collection(CONVERSATIONS).add({ data: conversation as unknown as Record<string, unknown> });
      return true;
    } catch (error) {
      // A duplicate id (a retried insert whose first answer was lost, or a racing caller) reads as
      // "there already"; any other failure is the store's, and the read says which.
      if ((await this.findById(conversation._id)) !== null) return false;
      throw error;
    }
  }

  /** One more turn, when the conversation still has `turns` turns and is not deleted. */
  async addTurn(conversation: ConversationDocument, orderId: string, at: number): Promise<boolean> {
    const _ = this.db.command;
    const result = await this.db
      .collection(CONVERSATIONS)
      .where({ _id: conversation._id, userHash: conversation.userHash, turns: conversation.turns, deletedAt: _.exists(false) })
      .update({ data: { turns: conversation.turns + 1, turnIds: _.push(orderId), updatedAt: at } });
    return result.stats.updated === 1;
  }

  /**
   * Marks the conversation deleted and erases its title, when it still has `turns` turns (no turn
   * was recorded since the caller looked at them).
   */
  async markDeleted(conversation: ConversationDocument, at: number): Promise<boolean> {
    const _ = this.db.command;
    const result = await this.db
      .collection(CONVERSATIONS)
      .where({ _id: conversation._id, userHash: conversation.userHash, turns: conversation.turns, deletedAt: _.exists(false) })
      .update({ data: { deletedAt: at, title: '' } });
    return result.stats.updated === 1;
  }

  /**
   * A page of a user's conversations, newest activity first (ties by id), after `cursor`: the
   * conversations at the cursor's very time with a smaller id first, then the older ones. Both are
   * served by the index on (userHash, updatedAt) (scripts/deploy/collections.ts).
   */
  async listForUser(userHash: string, cursor: HistoryCursor | null, limit: number): Promise<ConversationDocument[]> {
    const _ = this.db.command;
    const live = { userHash, deletedAt: _.exists(false) };
    const collection = this.db.collection(CONVERSATIONS);
    if (cursor === null) {
      const { data } = await collection.where(live).orderBy('updatedAt', 'desc').orderBy('_id', 'desc').limit(limit).get();
      return data as unknown as ConversationDocument[];
    }
    const { data: sameTime } = await collection
      .where({ ...live, updatedAt: cursor.updatedAt, _id: _.lt(cursor.conversationId) })
      .orderBy('_id', 'desc')
      .limit(limit)
      .get();
    if (sameTime.length >= limit) return sameTime as unknown as ConversationDocument[];
    const { data: older } = await collection
      .where({ ...live, updatedAt: _.lt(cursor.updatedAt) })
      .orderBy('updatedAt', 'desc')
      .orderBy('_id', 'desc')
      .limit(limit - sameTime.length)
      .get();
    return [...sameTime, ...older] as unknown as ConversationDocument[];
  }
}
