import { readSupport } from '../config/support';
import type { ClientHandler } from './serve';

/**
 * What the home page shows: never models' endpoints or costs. Under virtual payment (`payMode`
 * `virtual`) an answer costs `priceTokens`, tokens are bought in `packs`, and a tier sold as an
 * item (道具直购) carries its `productId` and its item price as `priceFen`; otherwise (`wxpay`:
 * cloud pay or API v3) `priceFen` is what `wx.requestPayment` charges for one answer.
 */
export const listTiers: ClientHandler = async (ctx) => {
  const virtual = ctx.env.payMode === 'virtual';
  return {
    payMode: virtual ? 'virtual' : 'wxpay',
    tiers: ctx.tiers.map((tier) => ({
      id: tier.id,
      title: tier.title,
      summary: tier.summary,
      priceFen: virtual && tier.item ? tier.item.priceFen : tier.priceFen,
      priceTokens: tier.priceTokens,
      ...(virtual && tier.item ? { productId: tier.item.productId } : {}),
      description: tier.paymentDescription,
      modelFamily: tier.modelFamily,
      promptLimit: tier.promptLimit,
      longRunning: tier.longRunning,
    })),
    packs: virtual ? ctx.packs.map((pack) => ({ packId: pack.packId, tokens: pack.tokens, priceFen: pack.priceFen })) : [],
    subscribeTemplateId: ctx.env.subscribeTemplateId ?? null,
    // The support contact shown beside every answer's report button (SUPPORT_CONTACT).
    support: readSupport(),
  };
};
