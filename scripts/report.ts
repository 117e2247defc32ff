/**
 * `npm run report`: revenue, payment fees, model cost and margin per tier, from the orders in the
 * store (DATA_DIR, `.data` by default; the functions' collections are NeDB files in
 * DATA_DIR/functions). Completed orders count; refunded ones count as zero revenue, zero fee and
 * zero model cost (providers do not bill failed calls; the fee is returned with the refund).
 * `--json` prints the same figures as JSON.
 *
 * The store is read from a copy of its file, so a running `npm run dev` is never disturbed
 * (opening an NeDB file rewrites it).
 */
import { join, resolve } from 'node:path';
import type { OrderDocument } from '../core/orders/order';
import { readCollectionFile } from '../local/store/readCopy';
import { orderOperationsPath, readOrderOperations } from '../bench/orderOperations';
import { readPlatformPrices } from '../core/config/platformPrices';
import { formatPlatformSection, platformMargins } from './platformMargin';

/** The stored fields the report reads. */
export type ReportOrder = Pick<OrderDocument, 'tier' | 'status' | 'amountFen' | 'paymentFeeFen' | 'marginFen' | 'rollout' | 'usage'>;

export interface TierFigures {
  tier: string;
  /** The staged-rollout label, or "" for the tier's own chain. */
  rollout: string;
  completed: number;
  refunded: number;
  /** Paid orders still generating or refunding when the report ran. */
  inFlight: number;
  revenueFen: number;
  feesFen: number;
  modelCostFen: number;
  marginFen: number;
  promptTokens: number;
  completionTokens: number;
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

export function summarize(orders: readonly ReportOrder[]): TierFigures[] {
  const rows = new Map<string, TierFigures>();
  const row = (tier: string, rollout: string) => {
    const key = `${tier}\u0000${rollout}`;
    let figures = rows.get(key);
    if (!figures) {
      figures = { tier, rollout, completed: 0, refunded: 0, inFlight: 0, revenueFen: 0, feesFen: 0, modelCostFen: 0, marginFen: 0, promptTokens: 0, completionTokens: 0 };
      rows.set(key, figures);
    }
    return figures;
  };
  for (const order of orders) {
    const figures = row(order.tier, order.rollout ?? '');
    if (order.status === 'completed') {
      figures.completed += 1;
      figures.revenueFen += order.amountFen;
      figures.feesFen += order.paymentFeeFen ?? 0;
      figures.modelCostFen += order.usage?.costFen ?? 0;
      figures.promptTokens += order.usage?.promptTokens ?? 0;
      figures.completionTokens += order.usage?.completionTokens ?? 0;
    } else if (order.status === 'refunded') {
      figures.refunded += 1;
    } else if (order.status === 'paid' || order.status === 'generating' || order.status === 'refunding') {
      figures.inFlight += 1;
    }
  }
  const result = [...rows.values()].filter((r) => r.completed + r.refunded + r.inFlight > 0);
  for (const r of result) {
    r.revenueFen = round4(r.revenueFen);
    r.feesFen = round4(r.feesFen);
    r.modelCostFen = round4(r.modelCostFen);
    r.marginFen = round4(r.revenueFen - r.feesFen - r.modelCostFen);
  }
  return result.sort((a, b) => a.tier.localeCompare(b.tier) || a.rollout.localeCompare(b.rollout));
}

export function totals(rows: readonly TierFigures[]): TierFigures {
  const sum = (pick: (r: TierFigures) => number) => round4(rows.reduce((s, r) => s + pick(r), 0));
  return {
    tier: 'all',
    rollout: '',
    completed: sum((r) => r.completed),
    refunded: sum((r) => r.refunded),
    inFlight: sum((r) => r.inFlight),
    revenueFen: sum((r) => r.revenueFen),
    feesFen: sum((r) => r.feesFen),
    modelCostFen: sum((r) => r.modelCostFen),
    marginFen: sum((r) => r.marginFen),
    promptTokens: sum((r) => r.promptTokens),
    completionTokens: sum((r) => r.completionTokens),
  };
}

export function formatReport(rows: readonly TierFigures[]): string {
  const header = ['tier', 'completed', 'refunded', 'in flight', 'revenue ¥', 'fees ¥', 'model cost ¥', 'margin ¥', 'margin %'];
  const yuan = (fen: number) => (fen / 100).toFixed(4);
  const line = (r: TierFigures) => [
    r.rollout ? `${r.tier} (${r.rollout})` : r.tier,
    String(r.completed),
    String(r.refunded),
    String(r.inFlight),
    yuan(r.revenueFen),
    yuan(r.feesFen),
    yuan(r.modelCostFen),
    yuan(r.marginFen),
    r.revenueFen > 0 ? `${((r.marginFen / r.revenueFen) * 100).toFixed(1)}%` : '-',
  ];
  const table = [header, ...rows.map(line), ...(rows.length > 1 ? [line(totals(rows))] : [])];
  const widths = header.map((_, i) => Math.max(...table.map((cells) => (cells[i] as string).length)));
  return table.map((cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')).join('\n');
}

export async function reportFor(dataDir: string): Promise<TierFigures[]> {
  const orders = (await readCollectionFile(join(dataDir, 'functions', 'orders.db'))) as unknown as ReportOrder[];
  return summarize(orders);
}

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const rows = await reportFor(dataDir);
  // Platform cost (CloudBase) per tier, from measured per-order operation counts if a benchmark wrote them.
  const operationsPath = orderOperationsPath();
  const operations = readOrderOperations(operationsPath);
  const prices = readPlatformPrices();
  if (process.argv.includes('--json')) {
    const platform = operations ? { prices, operations, tiers: platformMargins(rows, operations, prices) } : { included: false, reason: `no measured per-order operation counts (${operationsPath})` };
    process.stdout.write(`${JSON.stringify({ dataDir, tiers: rows, total: totals(rows), platform }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`orders in ${dataDir} (amounts in yuan; 1 yuan = 100 fen)\n`);
  process.stdout.write(rows.length === 0 ? 'no paid orders yet\n' : `${formatReport(rows)}\n`);
  if (rows.length > 0) process.stdout.write(`\n${formatPlatformSection(rows, operations, prices, operationsPath)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
