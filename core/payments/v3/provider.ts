import type { PaymentProvider } from '../provider';

/** WeChat Pay API v3 for a direct merchant. */
export function createV3Provider(_env: NodeJS.ProcessEnv): PaymentProvider {
  throw new Error('configuration: PAY_MODE=v3 is not available in this build yet; use cloudpay');
}
