import { TOKEN_PRICE_FEN } from '../../core/config/packs';
import { TIERS } from '../../core/config/tiers';
import { applyTierOverrides } from '../../core/config/overrides';
import type { Database } from '../../core/platform/wxCloud';
import type { IssuedPayment } from './emulator';
import type { XpayCatalogue } from './settings';

/**
 * What the MP console would have published for this mini program: each tier sold as an item at its
 * item price, and the token at its price (core/config: tiers.ts, packs.ts, with the developer's
 * TIER_OVERRIDES and XPAY_TOKEN_PRICE_FEN). Publishing is the developer's step in the console
 * (docs/VIRTUAL-PAYMENT.md); locally the emulator publishes exactly what the product sells, so a
 * price that drifted from the published one fails here as it would on WeChat (-15013).
 */
export function publishedCatalogue(configured: Record<string, string>): XpayCatalogue {
  const tiers = applyTierOverrides(TIERS, configured.TIER_OVERRIDES);
  const tokenPrice = Number(configured.XPAY_TOKEN_PRICE_FEN ?? TOKEN_PRICE_FEN);
  return {
    products: Object.fromEntries(tiers.flatMap((tier) => (tier.item ? [[tier.item.productId, tier.item.priceFen] as const] : []))),
    tokenPriceFen: Number.isInteger(tokenPrice) && tokenPrice > 0 ? tokenPrice : TOKEN_PRICE_FEN,
  };
}

/** The `wx.requestVirtualPayment` parameters the functions issued for an order or a top-up (their `payment` field). */
export async function issuedVirtualPayment(functionsDb: Database, outTradeNo: string): Promise<IssuedPayment | null> {
  for (const collection of ['orders', 'top_ups']) {
    const { data } = await functionsDb.collection(collection).where({ outTradeNo }).limit(1).get();
    const payment = data[0]?.payment as Partial<IssuedPayment> | undefined;
    if (payment && typeof payment.signData === 'string' && typeof payment.mode === 'string' && typeof payment.paySig === 'string' && typeof payment.signature === 'string') {
      return { signData: payment.signData, mode: payment.mode, paySig: payment.paySig, signature: payment.signature };
    }
  }
  return null;
}
