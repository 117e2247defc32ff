/**
 * The order lifecycle: every write to an order, as a named command (docs/ARCHITECTURE.md, "Order
 * lifecycle"). Each command owns the fields it writes, the audit reason, the release of the
 * user's active-payment lock and its follow-ups (dispatching `generate`, asking for a refund,
 * the subscribe message). A command that changes the status returns the order as it stands after
 * the change (or whether this caller made it), or null/false when the order was not where the
 * command needs it (someone else moved it first) and nothing changed. Time comes only from
 * `ctx.now()`, dispatch only from `ctx.dispatchGeneration`. Handlers read orders through
 * `ctx.orders` and never write them (test/lifecycle-guard.test.ts).
 */
export * from './pending';
export * from './generation';
export * from './refunds';
export * from './messages';
export * from './shipping';
export * from './reconcileClaims';
export * from './turnErasure';
export { tellUser } from './followUps';
export * from './topUps';
