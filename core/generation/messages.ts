import type { TierConfig } from '../config/tiers';
import type { AppContext } from '../context';
import { firstOrderIdOf } from '../conversations/ids';
import type { ChatMessage } from '../models/attempt';
import { estimateTokens } from '../models/cost';
import type { OrderDocument } from '../orders/order';

const SYSTEM_PROMPT =
  'You are a helpful assistant inside a WeChat mini program. Answer in the language of the question. ' +
  'Placeholders such as [PHONE] or [EMAIL] stand for personal data that was removed: never ask for it.';

/**
 * The tokens each chat message costs around its content (its role and delimiters): 3 in OpenAI's
 * published count for its chat models ("every message follows <|start|>{role/name}\n{content}<|end|>\n",
 * https://github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb);
 * one more here for providers whose templates spend more.
 */
export const FRAMING_TOKENS_PER_MESSAGE = 4;

/** Earlier turns read for a follow-up at most (far more than any context budget holds). */
export const MAX_CONTEXT_TURNS = 50;

/** An earlier turn of the conversation, as it is sent: the stored (redacted) question and the model's answer. */
export interface EarlierTurn {
  prompt: string;
  output: string;
}

/** What one earlier turn takes of the context budget: both messages with their framing. */
export function turnTokens(turn: EarlierTurn): number {
  return estimateTokens(turn.prompt) + estimateTokens(turn.output) + 2 * FRAMING_TOKENS_PER_MESSAGE;
}

/**
 * The newest earlier turns that fit the tier's context budget together, oldest first: turns are
 * taken from the newest back and the first that does not fit ends the context (the oldest are the
 * ones dropped; a turn is never cut in half, and a gap is never left in the middle).
 */
export function turnsWithinBudget(newestFirst: readonly EarlierTurn[], budgetTokens: number): EarlierTurn[] {
  const kept: EarlierTurn[] = [];
  let used = 0;
  for (const turn of newestFirst) {
    used += turnTokens(turn);
    if (used > budgetTokens) break;
    kept.push(turn);
  }
  return kept.reverse();
}

/**
 * The messages of one generation: the system prompt first; then, for a follow-up, the earlier
 * turns that fit the tier's context budget, each as the user's question and the assistant's answer,
 * in order; then the new question. Every prompt is the stored one, redacted before it was stored
 * (core/privacy/redact.ts); answers are the model's own text.
 */
export function buildMessages(tier: TierConfig, redactedPrompt: string, earlierNewestFirst: readonly EarlierTurn[] = []): ChatMessage[] {
  const context = turnsWithinBudget(earlierNewestFirst, tier.contextBudgetTokens);
  return [
    { role: 'system', content: `${SYSTEM_PROMPT} Keep the answer within ${tier.maxTokens} tokens.` },
    ...context.flatMap((turn): ChatMessage[] => [
      { role: 'user', content: turn.prompt },
      { role: 'assistant', content: turn.output },
    ]),
    { role: 'user', content: redactedPrompt },
  ];
}

/**
 * An order's messages, read at generate time: its conversation's earlier completed turns (one
 * query on the orders' conversationId and createdAt index). Turns that failed, were refunded, are
 * unpaid or unanswered are not completed and so never sent; neither is an erased one. A tier with
 * no context budget reads nothing.
 */
export async function messagesForOrder(ctx: AppContext, tier: TierConfig, order: OrderDocument): Promise<ChatMessage[]> {
  // The order that started its conversation has no earlier turn: nothing to read.
  if (tier.contextBudgetTokens <= 0 || !order.conversationId || firstOrderIdOf(order.conversationId) === order._id) return buildMessages(tier, order.prompt);
  const earlier = await ctx.orders.completedTurnsBefore(order.conversationId, order.userHash, order.createdAt, MAX_CONTEXT_TURNS);
  const usable = earlier.filter((turn) => turn.erasedAt === undefined && turn.prompt !== '' && turn.output !== '');
  return buildMessages(tier, order.prompt, usable);
}
