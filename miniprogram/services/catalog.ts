/**
 * What listTiers says, asked once per app session for pages opened without the home page (a
 * conversation, an order from a subscribe message): the tiers, how answers are paid (payMode), and
 * the operator's support contact (listTiers' `support.contact`, the SUPPORT_CONTACT setting). The
 * home page asks for itself, since prices must be fresh where the user pays.
 */
import { cloudApi } from './cloud';
import { rememberPayMode } from './platform';
import type { ListTiersResult, PayMode, Tier } from './types';

export interface Catalog {
  tiers: Tier[];
  payMode: PayMode;
  /** '' when the operator set none. */
  supportContact: string;
}

let known: Catalog | null = null;
let loading: Promise<Catalog | null> | null = null;

/** What a listTiers answer says of the catalog; the pay mode is remembered for pages opened later. */
export function readCatalog(answer: ListTiersResult): Catalog {
  const contact = answer.support?.contact;
  // A server from before virtual payment sends no payMode: it sells through wx.requestPayment.
  const payMode: PayMode = answer.payMode === 'virtual' ? 'virtual' : 'wxpay';
  rememberPayMode(payMode);
  return { tiers: answer.tiers, payMode, supportContact: typeof contact === 'string' ? contact.trim() : '' };
}

/** The catalog, from memory or one listTiers call (shared by concurrent callers); null when the call failed (asked again next time). */
export function loadCatalog(): Promise<Catalog | null> {
  if (known) return Promise.resolve(known);
  if (!loading) {
    loading = cloudApi()
      .listTiers()
      .then((answer) => {
        if (answer.ok) known = readCatalog(answer);
        return known;
      })
      .finally(() => {
        loading = null;
      });
  }
  return loading;
}

/** Forgets what was loaded (tests: a fresh app session). */
export function forgetCatalog(): void {
  known = null;
}
