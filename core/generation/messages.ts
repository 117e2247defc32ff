import type { ChatMessage } from '../models/attempt';
import type { TierConfig } from '../config/tiers';

const SYSTEM_PROMPT =
  'You are a helpful assistant inside a WeChat mini program. Answer in the language of the question. ' +
  'Placeholders such as [PHONE] or [EMAIL] stand for personal data that was removed: never ask for it.';

export function buildMessages(tier: TierConfig, redactedPrompt: string): ChatMessage[] {
  return [
    { role: 'system', content: `${SYSTEM_PROMPT} Keep the answer within ${tier.maxTokens} tokens.` },
    { role: 'user', content: redactedPrompt },
  ];
}
