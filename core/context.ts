import { readEnv, type AppEnv } from './config/env';
import { PROVIDERS, type ProviderConfig } from './config/providers';
import { TIERS, type TierConfig } from './config/tiers';
import { validateTiers } from './config/validate';
import { applyTierOverrides } from './config/overrides';
import { StoreProviderHealth } from './models/breaker';
import type { ProviderHealth } from './models/router';
import { OrderRepository } from './orders/repository';
import { CloudPayProvider } from './payments/cloudPay';
import type { PaymentProvider } from './payments/provider';
import { createV3Provider } from './payments/v3/provider';
import type { Database, WxCloud } from './platform/wxCloud';
import { log } from './log';

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
  /** Starts `generate` for a paid order without waiting for it to finish (see README, "Background work"). */
  dispatchGeneration(orderId: string): Promise<void>;
}

/** How long a caller waits for `generate` to be dispatched before it returns on its own. */
const DISPATCH_WAIT_MS = 800;
/** When the dispatcher first looks whether `generate` has claimed the order (then 2×, 4×, …). */
const DISPATCH_FIRST_LOOK_MS = 10;

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
    async dispatchGeneration(orderId: string) {
      let settled = false;
      const before = await orders.findById(orderId);
      const invocation = cloud.callFunction({ name: 'generate', data: { orderId } }).then(
        () => undefined,
        (error: unknown) => log('warn', 'generate_dispatch_failed', { orderId, error: String(error) }),
      );
      void invocation.finally(() => {
        settled = true;
      });
      // Dispatched means `generate` is running: it has claimed the order (a new status or lease).
      // Until then, or for at most DISPATCH_WAIT_MS, this instance stays up so that the invocation
      // request really leaves it.
      const deadline = Date.now() + DISPATCH_WAIT_MS;
      // Looks soon, then less often: a warm `generate` claims within milliseconds, a cold one
      // may take the whole wait, and every look is a database read.
      for (let pause = DISPATCH_FIRST_LOOK_MS; !settled && Date.now() < deadline; pause *= 2) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))));
        const order = await orders.findById(orderId).catch(() => null);
        if (order && (order.status !== before?.status || order.leaseId !== before?.leaseId)) return;
      }
    },
  };
}
