/**
 * What the platform charges for one order: CloudBase (function compute, invocations, database
 * operations) and the WeChat Pay fee. The figures are list prices of the billing models CloudBase
 * has had; which one applies depends on the environment's billing mode (see docs/COSTS.md), so the
 * table is chosen with `CLOUDBASE_BILLING` and every figure can be overridden from the environment.
 *
 * Every price is the marginal price of one more unit beyond a plan's included quota: a monthly plan
 * fee is not a per-order cost, and an order served inside the included quota costs nothing extra.
 */

export type CloudBaseBilling = 'points-2026' | 'plan-2022' | 'payg-legacy';

export interface PlatformPrices {
  billing: CloudBaseBilling;
  /** Function compute: configured memory (GB) × billed duration (s). */
  computeYuanPerGBs: number;
  /** Each function invocation (every `callFunction`, HTTP or timer trigger counts). */
  invocationYuanPer10k: number;
  /** Database read operations (one API call, whatever number of documents it returns). */
  dbReadYuanPer10k: number;
  dbWriteYuanPer10k: number;
  /** WeChat Pay's fee, a fraction of the amount paid (0.006 for 0.6%). */
  paymentFeeRate: number;
}

/**
 * WeChat Pay's fee depends on the merchant's settlement rule (industry), not on the payment
 * product: 0.6% for rules 716 (enterprise) and 719/703 (individual, small merchants), which cover
 * online services; 1% under rule 711 (games, online video/music/books, live streaming, software).
 * Source: https://kf.qq.com/faq/220228IJb2UV220228uEjU3Q.html (settlement rules and fees) and
 * https://kf.qq.com/faq/140225MveaUz1501077rEfqI.html (fee table). Same default and variable
 * (`PAYMENT_FEE_RATE`) as the fee each order records (core/config/env.ts).
 */
export const DEFAULT_PAYMENT_FEE_RATE = 0.006;

/**
 * SCF's function compute price, 0.00011108 元/GBs, the same in every CloudBase table that prices
 * compute by GBs: https://github.com/tencentyun/qcloud-documents/blob/master/product/移动与通信/应用服务平台/购买指南/价格文档.md
 * ("云函数资源使用量 0.00011108元/GBs") and …/购买指南/产品定价.md.
 */
const COMPUTE_YUAN_PER_GBS = 0.00011108;

export const CLOUDBASE_PRICE_TABLES: Readonly<Record<CloudBaseBilling, Omit<PlatformPrices, 'paymentFeeRate'>>> = {
  /**
   * Resource points (资源点), live from 2026-01-16: 1 point = ¥0.001. Official price page
   * https://cloud.tencent.com/document/product/876/127357 (资源点价格文档); the per-operation
   * conversions below are from secondary sources only (not read on the official page): database
   * read or write 200 points per 10,000 (¥0.2), function invocation 13.3 points per 10,000
   * (¥0.0133, which is SCF's own invocation price). The GBs conversion was not found: SCF's
   * 0.00011108 元/GBs is assumed. Override any of them once your bill or console shows otherwise.
   */
  'points-2026': {
    billing: 'points-2026',
    computeYuanPerGBs: COMPUTE_YUAN_PER_GBS,
    invocationYuanPer10k: 0.0133,
    dbReadYuanPer10k: 0.2,
    dbWriteYuanPer10k: 0.2,
  },
  /**
   * Base plan + pay-as-you-go beyond it (2022-08 to 2025, environments still on it): one
   * "调用次数" meter counts database reads and writes and function invocations alike, 0.5 元/万次
   * beyond the plan's quota. Source: qcloud-documents 购买指南/价格文档.md, 超限费用说明 (URL above).
   */
  'plan-2022': {
    billing: 'plan-2022',
    computeYuanPerGBs: COMPUTE_YUAN_PER_GBS,
    invocationYuanPer10k: 0.5,
    dbReadYuanPer10k: 0.5,
    dbWriteYuanPer10k: 0.5,
  },
  /**
   * The original pay-as-you-go table (environments created before 2022-08 that kept it): no
   * per-invocation charge; database reads 0.015 元/万次, writes 0.05 元/万次. Source:
   * https://github.com/tencentyun/qcloud-documents/blob/master/product/移动与通信/应用服务平台/购买指南/产品定价.md
   */
  'payg-legacy': {
    billing: 'payg-legacy',
    computeYuanPerGBs: COMPUTE_YUAN_PER_GBS,
    invocationYuanPer10k: 0,
    dbReadYuanPer10k: 0.015,
    dbWriteYuanPer10k: 0.05,
  },
};

/** The billing model new environments are on today. */
export const DEFAULT_BILLING: CloudBaseBilling = 'points-2026';

export class PlatformPriceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlatformPriceError';
  }
}

/** The environment variables that override one figure of the chosen table. */
export const PRICE_OVERRIDES = {
  computeYuanPerGBs: 'CLOUDBASE_PRICE_GBS_YUAN',
  invocationYuanPer10k: 'CLOUDBASE_PRICE_INVOCATIONS_YUAN_PER_10K',
  dbReadYuanPer10k: 'CLOUDBASE_PRICE_DB_READS_YUAN_PER_10K',
  dbWriteYuanPer10k: 'CLOUDBASE_PRICE_DB_WRITES_YUAN_PER_10K',
} as const;

function nonNegative(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new PlatformPriceError(`${name} must be a non-negative number, not ${JSON.stringify(raw)}`);
  return value;
}

/**
 * The prices in force: `CLOUDBASE_BILLING` picks the table (points-2026 by default), the
 * `CLOUDBASE_PRICE_*` variables replace single figures, and `PAYMENT_FEE_RATE` the payment fee.
 */
export function readPlatformPrices(env: NodeJS.ProcessEnv = process.env): PlatformPrices {
  const billing = (env.CLOUDBASE_BILLING?.trim() || DEFAULT_BILLING) as CloudBaseBilling;
  const table = CLOUDBASE_PRICE_TABLES[billing];
  if (!Object.prototype.hasOwnProperty.call(CLOUDBASE_PRICE_TABLES, billing) || !table) {
    throw new PlatformPriceError(`CLOUDBASE_BILLING must be one of ${Object.keys(CLOUDBASE_PRICE_TABLES).join(', ')}, not ${JSON.stringify(billing)}`);
  }
  const paymentFeeRate = nonNegative(env, 'PAYMENT_FEE_RATE', DEFAULT_PAYMENT_FEE_RATE);
  if (paymentFeeRate >= 1) throw new PlatformPriceError('PAYMENT_FEE_RATE is a fraction of the price (0.006 for 0.6%), below 1');
  return {
    billing,
    computeYuanPerGBs: nonNegative(env, PRICE_OVERRIDES.computeYuanPerGBs, table.computeYuanPerGBs),
    invocationYuanPer10k: nonNegative(env, PRICE_OVERRIDES.invocationYuanPer10k, table.invocationYuanPer10k),
    dbReadYuanPer10k: nonNegative(env, PRICE_OVERRIDES.dbReadYuanPer10k, table.dbReadYuanPer10k),
    dbWriteYuanPer10k: nonNegative(env, PRICE_OVERRIDES.dbWriteYuanPer10k, table.dbWriteYuanPer10k),
    paymentFeeRate,
  };
}

/** What one order consumed on the platform, and what the user paid for it. */
export interface OrderUsage {
  invocations: number;
  dbReads: number;
  dbWrites: number;
  /** Σ configured memory (GB) × billed duration (s) over the order's invocations. */
  computeGBs: number;
  /** The amount paid, in fen; 0 for an order that was never paid (no payment fee). */
  amountFen: number;
}

/** Money in fen, each to 1/10000 fen (as orders record their costs) so that sums stay exact to the fen. */
export interface PlatformCost {
  paymentFeeFen: number;
  computeFen: number;
  invocationsFen: number;
  dbReadsFen: number;
  dbWritesFen: number;
  /** CloudBase's share: compute + invocations + database. */
  cloudFen: number;
  /** Everything the platforms take: the payment fee and CloudBase's share. */
  totalFen: number;
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;
const FEN_PER_YUAN = 100;
const per10k = (count: number, yuanPer10k: number) => (count * yuanPer10k * FEN_PER_YUAN) / 10_000;

/**
 * The platform's money for one order, from the operations it consumed and the amount paid.
 * Pure: the same usage and prices always give the same figures. Counts may be fractional (an
 * average per order over many orders).
 */
export function platformCostFen(usage: OrderUsage, prices: PlatformPrices = readPlatformPrices({})): PlatformCost {
  for (const key of ['invocations', 'dbReads', 'dbWrites', 'computeGBs', 'amountFen'] as const) {
    const value = usage[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new PlatformPriceError(`platformCostFen: ${key} must be a non-negative number, not ${String(value)}`);
    }
  }
  const paymentFeeFen = round4(usage.amountFen * prices.paymentFeeRate);
  const computeFen = round4(usage.computeGBs * prices.computeYuanPerGBs * FEN_PER_YUAN);
  const invocationsFen = round4(per10k(usage.invocations, prices.invocationYuanPer10k));
  const dbReadsFen = round4(per10k(usage.dbReads, prices.dbReadYuanPer10k));
  const dbWritesFen = round4(per10k(usage.dbWrites, prices.dbWriteYuanPer10k));
  const cloudFen = round4(computeFen + invocationsFen + dbReadsFen + dbWritesFen);
  return { paymentFeeFen, computeFen, invocationsFen, dbReadsFen, dbWritesFen, cloudFen, totalFen: round4(paymentFeeFen + cloudFen) };
}
