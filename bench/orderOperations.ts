import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Per-order platform operations, as measured by a benchmark run: what one order of each outcome
 * consumed on CloudBase (invocations, database reads and writes, function compute). `npm run
 * report` prices them (core/config/platformPrices.ts). The file is written by the benchmark that
 * counts operations; until one has, there is no file and the report says so.
 */

export interface OperationCounts {
  invocations: number;
  dbReads: number;
  dbWrites: number;
  /** Σ configured memory (GB) × billed duration (s). */
  computeGBs: number;
}

export type OrderOutcome = 'completed' | 'refunded' | 'closed';

export interface OrderOperations {
  /** ISO time of the measurement. */
  measuredAt: string;
  /** How they were measured (command, profile). */
  source: string;
  /** Average per order of each outcome; an outcome not measured is absent. */
  perOrder: Partial<Record<OrderOutcome, OperationCounts>>;
}

export const DEFAULT_ORDER_OPERATIONS_FILE = '.bench/order-operations.json';

export function orderOperationsPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ORDER_OPERATIONS_FILE || DEFAULT_ORDER_OPERATIONS_FILE);
}

export class OrderOperationsError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'OrderOperationsError';
  }
}

const COUNTS: readonly (keyof OperationCounts)[] = ['invocations', 'dbReads', 'dbWrites', 'computeGBs'];
const OUTCOMES: readonly OrderOutcome[] = ['completed', 'refunded', 'closed'];

export function parseOrderOperations(value: unknown, path = 'order operations'): OrderOperations {
  const record = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!record(value)) throw new OrderOperationsError(path, 'must be a JSON object');
  if (typeof value.measuredAt !== 'string' || Number.isNaN(Date.parse(value.measuredAt))) throw new OrderOperationsError(path, 'measuredAt must be an ISO date');
  if (typeof value.source !== 'string' || !value.source) throw new OrderOperationsError(path, 'source must say how the counts were measured');
  if (!record(value.perOrder)) throw new OrderOperationsError(path, 'perOrder must be an object');
  const perOrder: Partial<Record<OrderOutcome, OperationCounts>> = {};
  for (const [outcome, counts] of Object.entries(value.perOrder)) {
    if (!OUTCOMES.includes(outcome as OrderOutcome)) throw new OrderOperationsError(path, `perOrder.${outcome} is not an order outcome (${OUTCOMES.join(', ')})`);
    if (!record(counts)) throw new OrderOperationsError(path, `perOrder.${outcome} must be an object`);
    const parsed = {} as OperationCounts;
    for (const key of COUNTS) {
      const count = counts[key];
      if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) throw new OrderOperationsError(path, `perOrder.${outcome}.${key} must be a non-negative number`);
      parsed[key] = count;
    }
    perOrder[outcome as OrderOutcome] = parsed;
  }
  return { measuredAt: value.measuredAt, source: value.source, perOrder };
}

/** The measured counts, or null when no benchmark has written them yet. */
export function readOrderOperations(path: string = orderOperationsPath()): OrderOperations | null {
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new OrderOperationsError(path, 'is not valid JSON');
  }
  return parseOrderOperations(json, path);
}

export function writeOrderOperations(operations: OrderOperations, path: string = orderOperationsPath()): void {
  const checked = parseOrderOperations(operations, path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(checked, null, 2)}\n`);
}
