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

/** Characters of a line at 375 px in the pages' question style (28rpx type in a card): full-width ones count 1. */
const LINE_UNITS = 22;
/** A question folds when it would take more lines than this (the folded view shows three). */
const FOLD_LINES = 3;

/**
 * Whether a question is long enough to fold to three lines, so that the answer below it stays on
 * the first screen: an estimate from its characters (a full-width character is one unit, any
 * other half) and its line breaks, since a page cannot measure text before it is drawn.
 */
export function questionFolds(prompt: string): boolean {
  let lines = 0;
  for (const line of prompt.split('\n')) {
    let units = 0;
    for (const char of line) units += (char.codePointAt(0) ?? 0) > 0x2e7f ? 1 : 0.5;
    lines += Math.max(1, Math.ceil(units / LINE_UNITS));
  }
  return lines > FOLD_LINES;
}
