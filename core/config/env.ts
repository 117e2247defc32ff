import { V3_MIN_ORDER_TTL_SECONDS } from '../payments/v3/config';
/** Settings read from the environment of a function. Secrets only ever come from here. */
export type PayMode = 'cloudpay' | 'v3' | 'simulator';

export interface AppEnv {
  payMode: PayMode;
  openidHashSecret: string;
  openidSealKey: Buffer;
  orderTtlMs: number;
  paymentGraceMs: number;
  /** How long reconcile leaves a pending order to its notification before asking the provider. */
  reconcileGraceMs: number;
  /** Orders reconcile takes per category per run. */
  reconcileBatch: number;
  /** After this long a paid order that is not being answered is refunded. */
  giveUpAfterMs: number;
  rateLimitPerMinute: number;
  llm: { baseURL?: string; apiKey?: string; model?: string; localURL?: string };
  cloudPay: { subMchId: string; envId: string };
  /** The one-time subscribe message template that reports a finished or refunded order. */
  subscribeTemplateId?: string;
  miniprogramState: 'developer' | 'trial' | 'formal';
  paymentFeeRate: number;
  breaker: BreakerSettings;
  /** `TIER_OVERRIDES`: operator changes to the tiers of tiers.ts, validated like the file itself. */
  tierOverrides: string | undefined;
}

/** The provider circuit breaker (core/models/breaker.ts). */
export interface BreakerSettings {
  /** Consecutive failures of one provider, within `windowMs`, that open its breaker. */
  failures: number;
  windowMs: number;
  /** How long an open breaker skips the provider before one probe is let through. */
  coolDownMs: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`configuration: environment variable ${name} is required`);
  return value;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`configuration: ${name} must be a non-negative number`);
  return value;
}

function feeRate(env: NodeJS.ProcessEnv): number {
  const rate = positiveNumber(env, 'PAYMENT_FEE_RATE', 0.006);
  if (rate >= 1) throw new Error('configuration: PAYMENT_FEE_RATE is a fraction of the price (0.006 for 0.6%), below 1');
  return rate;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): AppEnv {
  const payMode = (env.PAY_MODE ?? 'cloudpay') as PayMode;
  if (!['cloudpay', 'v3', 'simulator'].includes(payMode)) {
    throw new Error(`configuration: PAY_MODE must be cloudpay, v3 or simulator, not ${payMode}`);
  }
  const sealKey = Buffer.from(required(env, 'OPENID_SEAL_KEY'), 'base64');
  if (sealKey.length !== 32) throw new Error('configuration: OPENID_SEAL_KEY must be 32 bytes, base64-encoded');
  const state = env.MINIPROGRAM_STATE ?? 'formal';
  if (state !== 'developer' && state !== 'trial' && state !== 'formal') {
    throw new Error('configuration: MINIPROGRAM_STATE must be developer, trial or formal');
  }
  const orderTtlSeconds = positiveNumber(env, 'ORDER_TTL_SECONDS', 600);
  if (payMode === 'v3' && orderTtlSeconds < V3_MIN_ORDER_TTL_SECONDS) {
    throw new Error(`configuration: ORDER_TTL_SECONDS must be ≥ ${V3_MIN_ORDER_TTL_SECONDS} with PAY_MODE=v3: WeChat Pay refuses a time_expire less than a minute ahead`);
  }
  return {
    payMode,
    openidHashSecret: required(env, 'OPENID_HASH_SECRET'),
    openidSealKey: sealKey,
    orderTtlMs: orderTtlSeconds * 1000,
    paymentGraceMs: positiveNumber(env, 'PAYMENT_GRACE_SECONDS', 8) * 1000,
    reconcileGraceMs: positiveNumber(env, 'RECONCILE_NOTIFICATION_GRACE_SECONDS', 30) * 1000,
    reconcileBatch: Math.max(1, Math.floor(positiveNumber(env, 'RECONCILE_BATCH_SIZE', 50))),
    giveUpAfterMs: positiveNumber(env, 'RECONCILE_GIVE_UP_SECONDS', 600) * 1000,
    rateLimitPerMinute: positiveNumber(env, 'RATE_LIMIT_PER_MINUTE', 10),
    llm: {
      baseURL: env.LLM_BASE_URL || undefined,
      apiKey: env.LLM_API_KEY || undefined,
      model: env.LLM_MODEL || undefined,
      localURL: env.LOCAL_MODEL_URL || undefined,
    },
    cloudPay: { subMchId: env.WXPAY_SUB_MCH_ID ?? '', envId: env.CLOUD_ENV_ID ?? '' },
    ...(env.SUBSCRIBE_TEMPLATE_ID ? { subscribeTemplateId: env.SUBSCRIBE_TEMPLATE_ID } : {}),
    miniprogramState: state,
    paymentFeeRate: feeRate(env),
    breaker: {
      failures: Math.max(1, Math.round(positiveNumber(env, 'BREAKER_FAILURES', 3))),
      windowMs: positiveNumber(env, 'BREAKER_WINDOW_SECONDS', 60) * 1000,
      coolDownMs: positiveNumber(env, 'BREAKER_COOLDOWN_SECONDS', 30) * 1000,
    },
    tierOverrides: env.TIER_OVERRIDES || undefined,
  };
}
