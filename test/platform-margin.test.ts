import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrderOperationsError, parseOrderOperations, readOrderOperations, writeOrderOperations, type OrderOperations } from '../bench/orderOperations';
import type { PlatformPrices } from '../core/config/platformPrices';
import { formatPlatformSection, platformMargins, type MarginRow } from '../scripts/platformMargin';

/**
 * `npm run report`'s platform cost: measured per-order operation counts, priced, taken off each
 * tier's margin; without measured counts the report says the platform cost is not included.
 */

const PRICES: PlatformPrices = { billing: 'plan-2022', computeYuanPerGBs: 0.0001, invocationYuanPer10k: 0.5, dbReadYuanPer10k: 0.5, dbWriteYuanPer10k: 0.5, paymentFeeRate: 0.006 };

const MEASURED: OrderOperations = {
  measuredAt: '2026-05-01T10:00:00.000Z',
  source: 'npm run bench (test figures)',
  perOrder: {
    // 4 invocations + 20 reads + 16 writes = 40 operations × 0.005 fen, plus 1 GBs × 0.01 fen = 0.21 fen
    completed: { invocations: 4, dbReads: 20, dbWrites: 16, computeGBs: 1 },
    // 10 operations × 0.005 fen = 0.05 fen
    refunded: { invocations: 3, dbReads: 4, dbWrites: 3, computeGBs: 0 },
  },
};

const ROWS: MarginRow[] = [
  { tier: 'quick', rollout: '', completed: 100, refunded: 2, revenueFen: 5000, marginFen: 4000 },
  { tier: 'deep', rollout: '', completed: 0, refunded: 0, revenueFen: 0, marginFen: 0 },
];

describe('platform cost in the report', () => {
  test('each tier pays CloudBase per completed and per refunded order, off its margin', () => {
    const [quick, deep] = platformMargins(ROWS, MEASURED, PRICES);
    expect(quick).toEqual({ tier: 'quick', rollout: '', cloudFenPerCompleted: 0.21, cloudFenPerRefunded: 0.05, cloudFen: 21.1, marginFen: 3978.9 });
    expect(deep?.cloudFen).toBe(0);
  });

  test('an outcome that was not measured is n/a, not zero, when the tier has such orders', () => {
    const onlyCompleted: OrderOperations = { ...MEASURED, perOrder: { completed: MEASURED.perOrder.completed! } };
    const [quick] = platformMargins(ROWS, onlyCompleted, PRICES);
    expect(quick?.cloudFen).toBeNaN();
    expect(formatPlatformSection(ROWS.slice(0, 1), onlyCompleted, PRICES, 'x.json')).toContain('n/a');
  });

  test('the section names the billing model and when the counts were measured; without counts it says the cost is not included', () => {
    const text = formatPlatformSection(ROWS, MEASURED, PRICES, 'x.json');
    expect(text).toContain('CloudBase billing plan-2022');
    expect(text).toContain('2026-05-01T10:00:00.000Z');
    expect(text).toMatch(/quick\s+0\.002100\s+0\.000500\s+0\.211000\s+39\.789000\s+79\.6%/);
    expect(formatPlatformSection(ROWS, null, PRICES, '/somewhere/order-operations.json')).toContain('platform cost: NOT included — no measured per-order operation counts (/somewhere/order-operations.json)');
  });
});

describe('the per-order operations file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'order-ops-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('what a benchmark writes, the report reads back; no file means no counts', () => {
    const path = join(dir, 'nested', 'order-operations.json');
    expect(readOrderOperations(path)).toBeNull();
    writeOrderOperations(MEASURED, path);
    expect(readOrderOperations(path)).toEqual(MEASURED);
  });

  test.each([
    ['[]', 'must be a JSON object'],
    ['{"measuredAt":"yesterday","source":"x","perOrder":{}}', 'measuredAt must be an ISO date'],
    ['{"measuredAt":"2026-05-01T00:00:00Z","source":"","perOrder":{}}', 'source must say how the counts were measured'],
    ['{"measuredAt":"2026-05-01T00:00:00Z","source":"x","perOrder":{"paid":{}}}', 'perOrder.paid is not an order outcome'],
    ['{"measuredAt":"2026-05-01T00:00:00Z","source":"x","perOrder":{"completed":{"invocations":1,"dbReads":-2,"dbWrites":1,"computeGBs":0}}}', 'perOrder.completed.dbReads must be a non-negative number'],
    ['{"measuredAt":"2026-05-01T00:00:00Z","source":"x","perOrder":{"completed":{"invocations":1,"dbReads":2,"dbWrites":1}}}', 'perOrder.completed.computeGBs must be a non-negative number'],
  ])('%s is refused: %s', (json, message) => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, json);
    expect(() => readOrderOperations(path)).toThrow(OrderOperationsError);
    expect(() => readOrderOperations(path)).toThrow(message);
  });

  test('a file that is not JSON is refused with its path', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ not json');
    expect(() => readOrderOperations(path)).toThrow(`${path}: is not valid JSON`);
    expect(() => parseOrderOperations(null)).toThrow('order operations: must be a JSON object');
  });
});
