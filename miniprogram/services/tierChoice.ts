/**
 * When a question is longer than the chosen tier takes: the tier that would take it, to offer in
 * one tap (the question kept). Pure, so that the home page and the conversation page offer the same.
 */
import type { Tier } from './types';

/** The tier with the smallest prompt limit that still takes `length` characters; null when none does or the chosen one already does. */
export function tierForLength<T extends Pick<Tier, 'id' | 'promptLimit'>>(tiers: readonly T[], chosenId: string, length: number): T | null {
  const chosen = tiers.find((tier) => tier.id === chosenId);
  if (chosen && length <= chosen.promptLimit) return null;
  const fitting = tiers.filter((tier) => tier.id !== chosenId && tier.promptLimit >= length);
  fitting.sort((a, b) => a.promptLimit - b.promptLimit);
  return fitting[0] ?? null;
}
