import type { OrderOperations } from '../bench/orderOperations';
import { platformCostFen, type PlatformPrices } from '../core/config/platformPrices';

/**
 * `npm run report`'s platform column: CloudBase's money per tier, from measured per-order operation
 * counts (bench/orderOperations.ts) priced by core/config/platformPrices.ts, taken off each
 * tier's margin. The payment fee is already in the margin (each order records it). Without
 * measured counts nothing is estimated: the report says the platform cost is not included.
 */

/** The figures of one report row that the platform cost depends on. */
export interface MarginRow {
  tier: string;
  rollout: string;
  completed: number;
  refunded: number;
  revenueFen: number;
  marginFen: number;
}

export interface PlatformMarginRow {
  tier: string;
  rollout: string;
  /** CloudBase's money for one completed order (compute, invocations, database). */
  cloudFenPerCompleted: number;
  cloudFenPerRefunded: number;
  cloudFen: number;
  /** The row's margin (revenue − payment fees − model cost) less CloudBase's money. */
  marginFen: number;
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

export function platformMargins(rows: readonly MarginRow[], operations: OrderOperations, prices: PlatformPrices): PlatformMarginRow[] {
  const perOrder = (outcome: 'completed' | 'refunded'): number => {
    const counts = operations.perOrder[outcome];
    // The payment fee is counted from each order's own record, so none is added here (amount 0).
    return counts ? platformCostFen({ ...counts, amountFen: 0 }, prices).cloudFen : NaN;
  };
  const completed = perOrder('completed');
  const refunded = perOrder('refunded');
  return rows.map((row) => {
    // An outcome with no orders costs nothing even if it was not measured.
    const cloudFen = round4((row.completed ? row.completed * completed : 0) + (row.refunded ? row.refunded * refunded : 0));
    return { tier: row.tier, rollout: row.rollout, cloudFenPerCompleted: completed, cloudFenPerRefunded: refunded, cloudFen, marginFen: round4(row.marginFen - cloudFen) };
  });
}

const yuan = (fen: number) => (Number.isFinite(fen) ? (fen / 100).toFixed(6) : 'n/a');

/** The platform section of the text report. */
export function formatPlatformSection(rows: readonly MarginRow[], operations: OrderOperations | null, prices: PlatformPrices, path: string): string {
  if (!operations) {
    return [
      `platform cost: NOT included — no measured per-order operation counts (${path}).`,
      'The margins above take off the payment fee (recorded with each order, PAYMENT_FEE_RATE) and the model cost only.',
    ].join('\n');
  }
  const margins = platformMargins(rows, operations, prices);
  const header = ['tier', 'CloudBase ¥ / completed', 'CloudBase ¥ / refunded', 'CloudBase ¥', 'margin after platform ¥', 'margin %'];
  const line = (label: string, perCompleted: string, perRefunded: string, cloudFen: number, marginFen: number, revenueFen: number) => [
    label,
    perCompleted,
    perRefunded,
    yuan(cloudFen),
    yuan(marginFen),
    revenueFen > 0 ? `${((marginFen / revenueFen) * 100).toFixed(1)}%` : '-',
  ];
  const table = [
    header,
    ...margins.map((m, i) => line(m.rollout ? `${m.tier} (${m.rollout})` : m.tier, yuan(m.cloudFenPerCompleted), yuan(m.cloudFenPerRefunded), m.cloudFen, m.marginFen, rows[i]?.revenueFen ?? 0)),
  ];
  if (margins.length > 1) {
    const sum = (values: number[]) => round4(values.reduce((s, v) => s + v, 0));
    table.push(line('all', '', '', sum(margins.map((m) => m.cloudFen)), sum(margins.map((m) => m.marginFen)), sum(rows.map((r) => r.revenueFen))));
  }
  const widths = header.map((_, i) => Math.max(...table.map((cells) => (cells[i] as string).length)));
  return [
    `platform cost: CloudBase billing ${prices.billing} (${prices.computeYuanPerGBs} ¥/GBs, ${prices.invocationYuanPer10k} ¥ per 10k invocations, ${prices.dbReadYuanPer10k} / ${prices.dbWriteYuanPer10k} ¥ per 10k database reads / writes; docs/COSTS.md), per-order counts measured ${operations.measuredAt} (${operations.source}):`,
    ...table.map((cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')),
  ].join('\n');
}
