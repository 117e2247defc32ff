import type { ClientOrder } from '../orders/order';

/**
 * A conversation groups turns; each turn is an order with its own payment and state machine
 * (docs/ARCHITECTURE.md, "Conversations"). The record only indexes the turns for history and
 * holds the title: the turns themselves are the orders carrying its `conversationId`.
 */
export interface ConversationDocument {
  /** `c` + the random part of the id of the order that started it (./ids.ts). */
  _id: string;
  /** The HMAC of the owner's openid, as on the orders. */
  userHash: string;
  /** From the first question, redacted (it is the stored prompt) and short (./title.ts). */
  title: string;
  /** How many orders were opened in it; equal to `turnIds.length`. */
  turns: number;
  /** The orders opened in it, in the order they were recorded: what makes recording a turn idempotent. */
  turnIds: string[];
  createdAt: number;
  /** The last activity: the last turn opened. History lists newest activity first. */
  updatedAt: number;
  /**
   * The user deleted it: from then on it does not exist for anyone (NOT_FOUND), no turn can be
   * added, its title is erased and its turns' text is erased. The record stays as a tombstone, with
   * no text, so that a deletion interrupted half-way is finished by the next call.
   */
  deletedAt?: number;
}

/** A line of history (`listConversations`). */
export interface ClientConversationSummary {
  conversationId: string;
  title: string;
  turns: number;
  updatedAt: number;
}

/** A conversation as `getConversation` answers it: its turns oldest first. */
export interface ClientConversation {
  conversationId: string;
  title: string;
  turns: ClientOrder[];
}

export function toClientSummary(conversation: ConversationDocument): ClientConversationSummary {
  return { conversationId: conversation._id, title: conversation.title, turns: conversation.turns, updatedAt: conversation.updatedAt };
}
