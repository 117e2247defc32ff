import { readEnv } from '../core/config/env';
import {
  CLOUDBASE_PRICE_TABLES,
  PlatformPriceError,
  platformCostFen,
  readPlatformPrices,
  type PlatformPrices,
} from '../scripts/platformPrices';

/**
 * The money the platforms take per order (docs/COSTS.md): known usage under known prices gives
 * known fen, to 1/10000 fen; the tables and their environment overrides are what operators set.
 */

const ROUND: PlatformPrices = {
  billing: 'plan-2022',
  computeYuanPerGBs: 0.0001,
  invocationYuanPer10k: 0.5,
  dbReadYuanPer10k: 0.2,
  dbWriteYuanPer10k: 1,
  paymentFeeRate: 0.006,
};

describe('platform money per order', () => {
  test('a ¥10 order with 10,000 invocations, reads and writes and 1,000 GBs costs known fen under round prices', () => {
    const cost = platformCostFen({ invocations: 10_000, dbReads: 10_000, dbWrites: 10_000, computeGBs: 1_000, amountFen: 1_000 }, ROUND);
    expect(cost).toEqual({
      paymentFeeFen: 6, // 0.6% of 1000 fen
      computeFen: 10, // 1000 GBs × ¥0.0001 = ¥0.1
      invocationsFen: 50, // ¥0.5 per 10k
      dbReadsFen: 20,
      dbWritesFen: 100,
      cloudFen: 180,
      totalFen: 186,
    });
  });

  test('one order of the current default table: 5 invocations, 12 reads, 9 writes, 0.5 GBs, ¥0.50 paid', () => {
    const prices = readPlatformPrices({});
    expect(prices).toEqual({ billing: 'points-2026', computeYuanPerGBs: 0.00011108, invocationYuanPer10k: 0.0133, dbReadYuanPer10k: 0.2, dbWriteYuanPer10k: 0.2, paymentFeeRate: 0.006 });
    const cost = platformCostFen({ invocations: 5, dbReads: 12, dbWrites: 9, computeGBs: 0.5, amountFen: 50 }, prices);
    // fee 50 × 0.006 = 0.3 fen; compute 0.5 × 0.00011108 yuan = 0.005554 fen;
    // invocations 5 × 0.0133 / 10000 yuan = 0.000665 fen → 0.0007; reads 12 × 0.2 / 10000 yuan = 0.024 fen; writes 0.018 fen.
    expect(cost.paymentFeeFen).toBe(0.3);
    expect(cost.computeFen).toBe(0.0056);
    expect(cost.invocationsFen).toBe(0.0007);
    expect(cost.dbReadsFen).toBe(0.024);
    expect(cost.dbWritesFen).toBe(0.018);
    expect(cost.cloudFen).toBe(0.0483);
    expect(cost.totalFen).toBe(0.3483);
  });

  test('an order that was never paid pays no fee, only what it used on CloudBase', () => {
    const cost = platformCostFen({ invocations: 2, dbReads: 3, dbWrites: 3, computeGBs: 0.05, amountFen: 0 }, ROUND);
    expect(cost.paymentFeeFen).toBe(0);
    expect(cost.totalFen).toBe(cost.cloudFen);
    expect(cost.cloudFen).toBe(0.0465); // 0.0005 compute + 0.01 invocations + 0.006 reads + 0.03 writes
  });

  test('the legacy table charges nothing per invocation; the 2022 plan charges every operation alike', () => {
    const usage = { invocations: 10_000, dbReads: 10_000, dbWrites: 10_000, computeGBs: 0, amountFen: 0 };
    expect(platformCostFen(usage, readPlatformPrices({ CLOUDBASE_BILLING: 'payg-legacy' }))).toMatchObject({ invocationsFen: 0, dbReadsFen: 1.5, dbWritesFen: 5 });
    expect(platformCostFen(usage, readPlatformPrices({ CLOUDBASE_BILLING: 'plan-2022' }))).toMatchObject({ invocationsFen: 50, dbReadsFen: 50, dbWritesFen: 50 });
  });

  test('negative, infinite or missing counts are refused with a clear error', () => {
    const good = { invocations: 1, dbReads: 1, dbWrites: 1, computeGBs: 1, amountFen: 1 };
    expect(() => platformCostFen({ ...good, dbReads: -1 }, ROUND)).toThrow(PlatformPriceError);
    expect(() => platformCostFen({ ...good, computeGBs: Infinity }, ROUND)).toThrow('computeGBs must be a non-negative number');
    expect(() => platformCostFen({ ...good, amountFen: undefined as unknown as number }, ROUND)).toThrow('amountFen must be a non-negative number');
  });
});

describe('price configuration', () => {
  test('each CLOUDBASE_PRICE_* variable replaces one figure of the chosen table', () => {
    const prices = readPlatformPrices({
      CLOUDBASE_BILLING: 'payg-legacy',
      CLOUDBASE_PRICE_GBS_YUAN: '0.0002',
      CLOUDBASE_PRICE_INVOCATIONS_YUAN_PER_10K: '0.01',
      CLOUDBASE_PRICE_DB_READS_YUAN_PER_10K: '0.03',
      CLOUDBASE_PRICE_DB_WRITES_YUAN_PER_10K: '0.07',
      PAYMENT_FEE_RATE: '0.01',
    });
    expect(prices).toEqual({ billing: 'payg-legacy', computeYuanPerGBs: 0.0002, invocationYuanPer10k: 0.01, dbReadYuanPer10k: 0.03, dbWriteYuanPer10k: 0.07, paymentFeeRate: 0.01 });
    expect(readPlatformPrices({ CLOUDBASE_BILLING: 'payg-legacy', CLOUDBASE_PRICE_DB_READS_YUAN_PER_10K: '0.03' }).dbWriteYuanPer10k).toBe(CLOUDBASE_PRICE_TABLES['payg-legacy'].dbWriteYuanPer10k);
  });

  test.each([
    [{ CLOUDBASE_BILLING: 'free' }, 'CLOUDBASE_BILLING must be one of points-2026, plan-2022, payg-legacy'],
    [{ CLOUDBASE_BILLING: 'toString' }, 'CLOUDBASE_BILLING must be one of'],
    [{ CLOUDBASE_PRICE_DB_WRITES_YUAN_PER_10K: '-1' }, 'CLOUDBASE_PRICE_DB_WRITES_YUAN_PER_10K must be a non-negative number'],
    [{ CLOUDBASE_PRICE_GBS_YUAN: 'cheap' }, 'CLOUDBASE_PRICE_GBS_YUAN must be a non-negative number'],
    [{ PAYMENT_FEE_RATE: '6' }, 'PAYMENT_FEE_RATE is a fraction of the price'],
  ])('%j is refused: %s', (env, message) => {
    expect(() => readPlatformPrices(env)).toThrow(message);
  });

  test('the payment fee rate is the one each order records (same variable, same default)', () => {
    const secrets = { PAY_MODE: 'cloudpay', OPENID_HASH_SECRET: 'x', OPENID_SEAL_KEY: Buffer.alloc(32, 1).toString('base64') };
    expect(readPlatformPrices({}).paymentFeeRate).toBe(readEnv(secrets).paymentFeeRate);
    expect(readPlatformPrices({ PAYMENT_FEE_RATE: '0.0038' }).paymentFeeRate).toBe(readEnv({ ...secrets, PAYMENT_FEE_RATE: '0.0038' }).paymentFeeRate);
  });
});
