/**
 * Tier titles, so the order and history pages can name a tier. Filled by the home page's
 * listTiers; a page opened first (e.g. from a subscribe message) may ask for them once.
 */
import { forgetCatalog, loadCatalog } from './catalog';
import type { LocalizedText, Tier } from './types';

const titles = new Map<string, LocalizedText>();

export function rememberTiers(tiers: readonly Tier[]): void {
  for (const tier of tiers) titles.set(tier.id, tier.title);
}

/** The tier's title in `locale`, or '' when it is not known (the page then leaves it out). */
export function tierTitle(id: string, locale: 'zh' | 'en'): string {
  const title = titles.get(id);
  return title ? title[locale] || title.zh : '';
}

/** Loads the titles once when none are known; true when titles are available afterwards. */
export function ensureTierTitles(): Promise<boolean> {
  if (titles.size > 0) return Promise.resolve(true);
  // loadCatalog shares one listTiers call among concurrent callers.
  return loadCatalog().then((catalog) => {
    if (catalog) rememberTiers(catalog.tiers);
    return titles.size > 0;
  });
}

/** Forgets every title (tests: a page opened first, before anything has named the tiers). */
export function forgetTierTitles(): void {
  titles.clear();
  forgetCatalog();
}
