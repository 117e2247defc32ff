import Datastore from '@seald-io/nedb';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '../core/orders/repository';
import type { OrderDocument } from '../core/orders/order';
import type { RefundRecord, Trade } from '../local/pay/simulator';

/** What the runtime left on disk: the functions' orders and audit log, and the payment simulator's ledger. */
export interface StoreSnapshot {
  orders: OrderDocument[];
  events: AuditEvent[];
  trades: Trade[];
  refunds: RefundRecord[];
}

/**
 * Reads the NeDB files of a runtime's DATA_DIR directly, as a separate witness of what was stored
 * (not through the functions under test). The files are copied first, so the runtime's own files
 * are never touched, even if it is still running; a torn last line (kill -9) is dropped as NeDB does.
 */
export async function readStore(dataDir: string): Promise<StoreSnapshot> {
  const scratch = mkdtempSync(join(tmpdir(), 'paid-ai-snapshot-'));
  const load = async <T>(folder: string, collection: string): Promise<T[]> => {
    const source = join(dataDir, folder, `${collection}.db`);
    if (!existsSync(source)) return [];
    const copy = join(scratch, `${folder}-${collection}.db`);
    copyFileSync(source, copy);
    const store = new Datastore<Record<string, unknown>>({ filename: copy, corruptAlertThreshold: 0.05 });
    await store.loadDatabaseAsync();
    return (await store.findAsync({})) as unknown as T[];
  };
  try {
    return {
      orders: await load<OrderDocument>('functions', 'orders'),
      events: await load<AuditEvent>('functions', 'order_events'),
      trades: await load<Trade>('platform', 'paysim_trades'),
      refunds: await load<RefundRecord>('platform', 'paysim_refunds'),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
