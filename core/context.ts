import { readEnv, type AppEnv } from './config/env';
import { PROVIDERS, type ProviderConfig } from './config/providers';
import { TIERS, type TierConfig } from './config/tiers';
import { validateTiers } from './config/validate';
import { applyTierOverrides } from './config/overrides';
import { callFunctionDispatcher, type DispatchGeneration } from './generation/dispatch';
import { StoreProviderHealth } from './models/breaker';
import type { ProviderHealth } from './models/router';
import { OrderRepository } from './orders/repository';
import { CloudPayProvider } from './payments/cloudPay';
import type { PaymentProvider } from './payments/provider';
import { createV3Provider } from './payments/v3/provider';
import type { Database, WxCloud } from './platform/wxCloud';

/** Everything a function needs, built once per warm instance from the SDK and the environment. */
export interface AppContext {
  cloud: WxCloud;
  db: Database;
  env: AppEnv;
  orders: OrderRepository;
  payments: PaymentProvider;
  tiers: readonly TierConfig[];
  providers: readonly ProviderConfig[];
  /** The providers' circuit breakers, shared through the store. */
  health: ProviderHealth;
  now(): number;
  /** Starts `generate` for a paid order without waiting for it to finish (docs/ARCHITECTURE.md, "Design choices"). */
  dispatchGeneration: DispatchGeneration;
}

function paymentsFor(cloud: WxCloud, env: AppEnv): PaymentProvider {
  if (env.payMode === 'v3') return createV3Provider(process.env);
  return new CloudPayProvider(cloud.cloudPay, {
    subMchId: env.cloudPay.subMchId,
    envId: env.cloudPay.envId,
    payCallbackFunction: 'payCallback',
    refundCallbackFunction: 'refundCallback',
  });
}

export function createContext(cloud: WxCloud): AppContext {
  const env = readEnv();
  const tiers = applyTierOverrides(TIERS, env.tierOverrides);
  validateTiers(tiers, PROVIDERS, env);
  const db = cloud.database();
  const now = () => Date.now();
  let payments: PaymentProvider | null = null;
  const orders = new OrderRepository(db, now);
  return {
    cloud,
    db,
    env,
    orders,
    // Built on first use: functions that never touch payments (listTiers, listOrders) then need no
    // merchant key in their environment.
    get payments() {
      payments ??= paymentsFor(cloud, env);
      return payments;
    },
    tiers,
    providers: PROVIDERS,
    health: new StoreProviderHealth(db, env.breaker, now),
    now,
    dispatchGeneration: callFunctionDispatcher(cloud, orders),
  };
}
