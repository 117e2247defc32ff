/**
 * The user's question as the server stored it: personal data was replaced by placeholders before
 * it was stored or sent to a model (`[PHONE]`, `[EMAIL]`, …, core/privacy/redact.ts). Pages show it
 * as segments, each placeholder marked and named in the user's language.
 */
import type { Messages } from './i18n';

export interface QuestionSegment {
  text: string;
  redacted: boolean;
}

const PLACEHOLDERS: Record<string, keyof Messages> = {
  '[PHONE]': 'redactedPhone',
  '[EMAIL]': 'redactedEmail',
  '[ID_NUMBER]': 'redactedIdNumber',
  '[BANK_CARD]': 'redactedBankCard',
  '[PAYMENT_ID]': 'redactedPaymentId',
};

const PATTERN = /\[(?:PHONE|EMAIL|ID_NUMBER|BANK_CARD|PAYMENT_ID)\]/g;

export function questionSegments(prompt: string, t: Messages): QuestionSegment[] {
  const segments: QuestionSegment[] = [];
  let last = 0;
  for (const match of prompt.matchAll(PATTERN)) {
    const at = match.index ?? 0;
    if (at > last) segments.push({ text: prompt.slice(last, at), redacted: false });
    segments.push({ text: t[PLACEHOLDERS[match[0]] as keyof Messages], redacted: true });
    last = at + match[0].length;
  }
  if (last < prompt.length) segments.push({ text: prompt.slice(last), redacted: false });
  return segments;
}

export function hasRedactions(prompt: string): boolean {
  return new RegExp(PATTERN.source).test(prompt);
}
