/** Tier titles seen on the home page, so other pages can name a tier without another call. */
import type { LocalizedText, Tier } from './types';

const titles = new Map<string, LocalizedText>();

export function rememberTiers(tiers: readonly Tier[]): void {
  for (const tier of tiers) titles.set(tier.id, tier.title);
}

export function tierTitle(id: string, locale: 'zh' | 'en'): string {
  const title = titles.get(id);
  return title ? title[locale] || title.zh : id;
}
