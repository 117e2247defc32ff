import { readSupport } from '../config/support';
import type { ClientHandler } from './serve';

/** What the home page shows: never models' endpoints or costs. */
export const listTiers: ClientHandler = async (ctx) => ({
  tiers: ctx.tiers.map((tier) => ({
    id: tier.id,
    title: tier.title,
    summary: tier.summary,
    priceFen: tier.priceFen,
    description: tier.paymentDescription,
    modelFamily: tier.modelFamily,
    promptLimit: tier.promptLimit,
    longRunning: tier.longRunning,
  })),
  subscribeTemplateId: ctx.env.subscribeTemplateId ?? null,
  // The support contact shown beside every answer's report button (SUPPORT_CONTACT).
  support: readSupport(),
});
