import { DEFAULT_LEASE_MS, MAX_LEASE_MS, MIN_LEASE_MS } from '../generation/lease';
import { V3_MIN_ORDER_TTL_SECONDS } from '../payments/v3/config';
import { readXpaySettings, type XpaySettings } from '../payments/virtual/settings';
import { readStreamSettings, type StreamSettings } from '../streaming/settings';
import { TOKEN_PRICE_FEN } from './packs';
/**
 * Settings read from the environment of a function. Secrets only ever come from here.
 *
 * `virtual` (the default): mini program virtual payment, which WeChat requires for virtual goods,
 * AI answers included, since 2026-04-01 (docs/VIRTUAL-PAYMENT.md). `cloudpay` and `v3` sell through
 * `wx.requestPayment`, for merchants who sell something else; `simulator` is the local runtime's
 * emulation of cloud pay.
 */
export type PayMode = 'virtual' | 'cloudpay' | 'v3' | 'simulator';

/** Tokens (virtual payment): what they are worth and what a new user gets. */
export interface TokenSettings {
  /** `XPAY_TOKEN_PRICE_FEN`: the token's published price in fen (core/config/packs.ts). */
  priceFen: number;
  /** `XPAY_HIGHEST_FEE_RATE`: the largest share of a payment a platform keeps (iOS), for the tiers' worst-case check. */
  highestFeeRate: number;
  /** `WELCOME_TOKENS`: tokens given once to each new user (`present_currency`); 0 gives none. */
  welcomeTokens: number;
}

export interface AppEnv {
  payMode: PayMode;
  /** The virtual payment rail's settings (PAY_MODE=virtual only). */
  xpay?: XpaySettings;
  tokens: TokenSettings;
  /** Live text (docs/STREAMING.md): the stream's ticket secret and base URL; without them, long-poll only. */
  stream: StreamSettings;
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
  /** How long a generation's claim on its order lasts without renewal (core/generation/lease.ts). */
  generationLeaseMs: number;
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
  /** `TOKEN_PACKS`: the token packs for sale, replacing packs.ts's, validated like the file itself. */
  tokenPacks: string | undefined;
  contentSecurity: ContentSecuritySettings;
  shipping: ShippingSettings;
}

/** Which `review` verdicts of `security.msgSecCheck` stop text (docs/COMPLIANCE.md, "Decisions"). */
export type ReviewBlocks = 'output' | 'both' | 'none';

/** Content security through `security.msgSecCheck` (docs/COMPLIANCE.md). */
export interface ContentSecuritySettings {
  /** `CONTENT_SECURITY` (`on` by default; `off` only for development without the platform). */
  enabled: boolean;
  /** `CONTENT_SECURITY_SCENE`: the check's scene, 1 资料, 2 评论 (default), 3 论坛, 4 社交日志. */
  scene: 1 | 2 | 3 | 4;
  /** `CONTENT_REVIEW_BLOCKS`: `output` (default: a `review` answer is withheld, a `review` prompt passes), `both` or `none`. */
  reviewBlocks: ReviewBlocks;
  /** `CONTENT_CHECK_TIMEOUT_MS`: one check's time limit (2000). */
  timeoutMs: number;
  /** `CONTENT_CHECK_FIRST_SEGMENT_CHARS`: the first piece of a streaming answer checked and shown (40). */
  firstSegmentChars: number;
  /** `CONTENT_CHECK_SEGMENT_CHARS`: pieces double up to this size (800). */
  maxSegmentChars: number;
  /** `CONTENT_CHECK_OVERLAP_CHARS`: checked text before each piece, so a phrase cut in two is still seen whole (40). */
  overlapChars: number;
  /** `CONTENT_CHECK_PIECE_WAIT_MS`: the longest text waits for its piece to fill before what arrived is checked (600; 0: by size only). */
  pieceWaitMs: number;
}

/** 发货信息管理 (docs/COMPLIANCE.md, "Shipping information"). */
export interface ShippingSettings {
  /** `SHIPPING_INFO_REQUIRED=1`: the merchant is subject to it; every completed order is uploaded. */
  required: boolean;
  /** The merchant that took the payment (`WECHATPAY_MCHID` for v3, `WXPAY_SUB_MCH_ID` for cloud pay), for orders without a transaction id. */
  mchId: string;
  /** `SHIPPING_RETRY_BASE_SECONDS` (60): a failed upload is retried by reconcile after this, doubling each time up to an hour. */
  retryBaseMs: number;
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

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`configuration: ${name} must be a whole number from ${min} to ${max}`);
  return value;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (['1', 'on', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'off', 'false', 'no'].includes(raw)) return false;
  throw new Error(`configuration: ${name} must be on or off (1 or 0), not ${env[name]}`);
}

/**
 * The most a platform keeps of a virtual payment, by default: Apple's standard App Store commission
 * (30%). WeChat's pages quote 12% on iOS for personal mini programs and publish no rate for
 * enterprises (docs/VIRTUAL-PAYMENT.md, "Fees and settlement"), so the cautious figure is Apple's own.
 */
const DEFAULT_HIGHEST_FEE_RATE = 0.3;

/**
 * Text waits at most this long for its piece to fill: about 600 ms plus one check from the model to
 * the order, and about one check per 0.8 s of a streaming answer (docs/COMPLIANCE.md, "The trade-off").
 */
const DEFAULT_PIECE_WAIT_MS = 600;

/** msgSecCheck takes at most 2500 characters; a piece plus its overlap stays well inside that. */
const MAX_CHECKED_CHARS = 2400;

function readContentSecurity(env: NodeJS.ProcessEnv): ContentSecuritySettings {
  const reviewBlocks = (env.CONTENT_REVIEW_BLOCKS || 'output') as ReviewBlocks;
  if (!['output', 'both', 'none'].includes(reviewBlocks)) {
    throw new Error(`configuration: CONTENT_REVIEW_BLOCKS must be output, both or none, not ${reviewBlocks}`);
  }
  const maxSegmentChars = whole(env, 'CONTENT_CHECK_SEGMENT_CHARS', 800, 20, MAX_CHECKED_CHARS);
  const firstSegmentChars = whole(env, 'CONTENT_CHECK_FIRST_SEGMENT_CHARS', Math.min(40, maxSegmentChars), 10, maxSegmentChars);
  const overlapChars = whole(env, 'CONTENT_CHECK_OVERLAP_CHARS', Math.min(40, MAX_CHECKED_CHARS - maxSegmentChars), 0, MAX_CHECKED_CHARS - maxSegmentChars);
  return {
    enabled: onOff(env, 'CONTENT_SECURITY', true),
    scene: whole(env, 'CONTENT_SECURITY_SCENE', 2, 1, 4) as 1 | 2 | 3 | 4,
    reviewBlocks,
    timeoutMs: whole(env, 'CONTENT_CHECK_TIMEOUT_MS', 2000, 100, 10_000),
    firstSegmentChars,
    maxSegmentChars,
    overlapChars,
    pieceWaitMs: whole(env, 'CONTENT_CHECK_PIECE_WAIT_MS', DEFAULT_PIECE_WAIT_MS, 0, 60_000),
  };
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): AppEnv {
  const payMode = (env.PAY_MODE || 'virtual') as PayMode;
  if (!['virtual', 'cloudpay', 'v3', 'simulator'].includes(payMode)) {
    throw new Error(`configuration: PAY_MODE must be virtual, cloudpay, v3 or simulator, not ${payMode}`);
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
  const highestFeeRate = positiveNumber(env, 'XPAY_HIGHEST_FEE_RATE', DEFAULT_HIGHEST_FEE_RATE);
  if (highestFeeRate >= 1) throw new Error('configuration: XPAY_HIGHEST_FEE_RATE is a fraction of a payment (0.3 for 30%), below 1');
  return {
    payMode,
    ...(payMode === 'virtual' ? { xpay: readXpaySettings(env) } : {}),
    tokens: {
      priceFen: whole(env, 'XPAY_TOKEN_PRICE_FEN', TOKEN_PRICE_FEN, 1, 100_000),
      highestFeeRate,
      welcomeTokens: whole(env, 'WELCOME_TOKENS', 0, 0, 10_000),
    },
    stream: readStreamSettings(env),
    openidHashSecret: required(env, 'OPENID_HASH_SECRET'),
    openidSealKey: sealKey,
    orderTtlMs: orderTtlSeconds * 1000,
    paymentGraceMs: positiveNumber(env, 'PAYMENT_GRACE_SECONDS', 8) * 1000,
    reconcileGraceMs: positiveNumber(env, 'RECONCILE_NOTIFICATION_GRACE_SECONDS', 30) * 1000,
    reconcileBatch: Math.max(1, Math.floor(positiveNumber(env, 'RECONCILE_BATCH_SIZE', 50))),
    giveUpAfterMs: positiveNumber(env, 'RECONCILE_GIVE_UP_SECONDS', 600) * 1000,
    generationLeaseMs: whole(env, 'GENERATION_LEASE_SECONDS', DEFAULT_LEASE_MS / 1000, MIN_LEASE_MS / 1000, MAX_LEASE_MS / 1000) * 1000,
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
    tokenPacks: env.TOKEN_PACKS || undefined,
    contentSecurity: readContentSecurity(env),
    shipping: {
      required: onOff(env, 'SHIPPING_INFO_REQUIRED', false),
      mchId: (payMode === 'v3' ? env.WECHATPAY_MCHID : env.WXPAY_SUB_MCH_ID) ?? '',
      retryBaseMs: positiveNumber(env, 'SHIPPING_RETRY_BASE_SECONDS', 60) * 1000,
    },
  };
}
