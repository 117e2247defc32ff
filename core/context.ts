import { systemClock, type Clock } from './clock';
import { readEnv, type AppEnv } from './config/env';
import { PROVIDERS, type ProviderConfig } from './config/providers';
import { packsFrom, type PackConfig } from './config/packs';
import { TIERS, type TierConfig } from './config/tiers';
import { validateTiers } from './config/validate';
import { applyTierOverrides } from './config/overrides';
import { callFunctionDispatcher, type DispatchGeneration } from './generation/dispatch';
import { StoreProviderHealth } from './models/breaker';
import type { ProviderHealth } from './models/router';
import { orderReader, type OrderReader } from './orders/repository';
import { topUpReader, type TopUpReader } from './orders/topUpRepository';
import { VirtualPaymentProvider } from './payments/virtual/provider';
import { TokenWallet } from './payments/virtual/wallet';
import { XpayClient } from './payments/virtual/xpay';
import { unsealOpenid } from './security/identity';
import { SessionKeys } from './security/sessionKeys';
import { CloudPayProvider } from './payments/cloudPay';
import type { PaymentProvider } from './payments/provider';
import { createV3Provider } from './payments/v3/provider';
import type { Database, WxCloud } from './platform/wxCloud';

/** Everything a function needs, built once per warm instance from the SDK and the environment. */
export interface AppContext {
  cloud: WxCloud;
  db: Database;
  env: AppEnv;
  /** Read-only: every write to an order is a lifecycle command (core/orders/lifecycle). */
  orders: OrderReader;
  /** Read-only, like `orders`: token top-ups (virtual payment). */
  topUps: TopUpReader;
  payments: PaymentProvider;
  /** Virtual payment's tokens (PAY_MODE=virtual), or null in the other modes. */
  wallet: TokenWallet | null;
  /** The users' session keys, which sign virtual payments (PAY_MODE=virtual), or null in the other modes. */
  sessions: SessionKeys | null;
  tiers: readonly TierConfig[];
  /** Token packs for sale (virtual payment). */
  packs: readonly PackConfig[];
  providers: readonly ProviderConfig[];
  /** The providers' circuit breakers, shared through the store. */
  health: ProviderHealth;
  /** Every reading of the time and every wait (long-poll, dispatch, model deadlines) goes through it. */
  clock: Clock;
  /** `clock.now()`, for the many places that only read the time. */
  now: () => number;
  /** Starts `generate` for a paid order without waiting for it to finish (docs/ARCHITECTURE.md, "Design choices"). */
  dispatchGeneration: DispatchGeneration;
}

/** What a context is made of; everything else is derived from these. */
export interface ContextParts {
  db: Database;
  env: AppEnv;
  /** The payment provider, or how to make it on first use (so that functions that never pay need no merchant key). */
  payments: PaymentProvider | (() => PaymentProvider);
  /** How `generate` is started for a paid order; given the order repository this context reads through. */
  dispatch: (orders: OrderReader, clock: Clock) => DispatchGeneration;
  /** The wall clock unless told otherwise. */
  clock?: Clock;
  /** The tiers as configured (file plus `TIER_OVERRIDES`); validated here either way. */
  tiers?: readonly TierConfig[];
  packs?: readonly PackConfig[];
  providers?: readonly ProviderConfig[];
  /**
   * The SDK, for what only it can do (`getWXContext`, subscribe messages). A context built without
   * one (the in-process tests) answers any use of it with an error that says so.
   */
  cloud?: WxCloud;
}

/** A context without the SDK: any use of `cloud` fails loudly instead of pretending to work. */
function withoutCloud(): WxCloud {
  return new Proxy({} as WxCloud, {
    get(_target, property) {
      // Symbols and `then` are asked by inspection and promise resolution, not by a use of the SDK.
      if (typeof property === 'symbol' || property === 'then') return undefined;
      throw new Error(`this context was built without the cloud SDK (cloud.${String(property)} is not available)`);
    },
  });
}

/**
 * Builds a function's context from its parts. The cloud builds it from the SDK (`createContext`);
 * the in-process tests build it from the embedded store, a payment provider, a virtual clock and
 * their own dispatch, and so run the same handlers without a runtime process.
 */
export function buildContext(parts: ContextParts): AppContext {
  const { db, env } = parts;
  const clock = parts.clock ?? systemClock;
  const now = () => clock.now();
  const tiers = parts.tiers ?? applyTierOverrides(TIERS, env.tierOverrides);
  const providers = parts.providers ?? PROVIDERS;
  const packs = parts.packs ?? packsFrom(env.tokenPacks);
  validateTiers(tiers, providers, env, { packs, tokenPriceFen: env.tokens.priceFen, highestFeeRate: env.tokens.highestFeeRate });
  const orders = orderReader(db, now);
  const topUps = topUpReader(db, now);
  const makePayments = parts.payments;
  let payments: PaymentProvider | null = typeof makePayments === 'function' ? null : makePayments;
  // Virtual payment's client, made on first use (functions that never pay need no AppKey at hand).
  let xpay: XpayClient | null = null;
  const xpayClient = (): XpayClient | null => {
    if (!env.xpay) return null;
    xpay ??= new XpayClient(env.xpay);
    return xpay;
  };
  let wallet: TokenWallet | null = null;
  let sessions: SessionKeys | null = null;
  const ctx: AppContext = {
    cloud: parts.cloud ?? withoutCloud(),
    db,
    env,
    orders,
    topUps,
    get payments() {
      payments ??= (makePayments as () => PaymentProvider)();
      return payments;
    },
    get wallet() {
      const client = xpayClient();
      if (client) wallet ??= new TokenWallet(client);
      return wallet;
    },
    get sessions() {
      const client = xpayClient();
      if (client) sessions ??= new SessionKeys(ctx, client.api);
      return sessions;
    },
    tiers,
    packs,
    providers,
    health: new StoreProviderHealth(db, env.breaker, now),
    clock,
    now,
    dispatchGeneration: parts.dispatch(orders, clock),
  };
  return ctx;
}

/**
 * Who paid for an order or a top-up, from its sealed payer openid (virtual payment's query_order
 * and refund_order name the payer).
 */
function payerResolver(orders: OrderReader, topUps: TopUpReader, sealKey: Buffer) {
  return async (outTradeNo: string): Promise<string | null> => {
    const sealed = (await orders.findByOutTradeNo(outTradeNo))?.payerOpenidSealed ?? (await topUps.findByOutTradeNo(outTradeNo))?.payerOpenidSealed;
    return sealed ? unsealOpenid(sealed, sealKey) : null;
  };
}

function paymentsFor(cloud: WxCloud, env: AppEnv, clock: Clock, orders: () => AppContext): PaymentProvider {
  if (env.payMode === 'virtual' && env.xpay) {
    const ctx = orders();
    // The wallet's client: one access-token cache per context, so one stable_token refresh at a time.
    const client = ctx.wallet?.xpay ?? new XpayClient(env.xpay);
    return new VirtualPaymentProvider(client, payerResolver(ctx.orders, ctx.topUps, env.openidSealKey));
  }
  if (env.payMode === 'v3') return createV3Provider(process.env, () => clock.now());
  return new CloudPayProvider(cloud.cloudPay, {
    subMchId: env.cloudPay.subMchId,
    envId: env.cloudPay.envId,
    payCallbackFunction: 'payCallback',
    refundCallbackFunction: 'refundCallback',
  });
}

/** The context of a function running on the SDK (in the cloud, and in the local runtime). */
export function createContext(cloud: WxCloud): AppContext {
  const env = readEnv();
  const context: AppContext = buildContext({
    cloud,
    db: cloud.database(),
    env,
    // Built on first use: functions that never touch payments (listTiers, listOrders) then need no
    // merchant key in their environment.
    payments: () => paymentsFor(cloud, env, systemClock, () => context),
    dispatch: (orders, clock) => callFunctionDispatcher(cloud, orders, clock),
  });
  return context;
}
