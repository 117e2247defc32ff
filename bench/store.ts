import { join } from 'node:path';
import type { AuditEvent } from '../core/orders/repository';
import type { OrderDocument } from '../core/orders/order';
import type { RefundRecord, Trade } from '../local/pay/simulator';
import { readCollectionFile } from '../local/store/readCopy';

/** What the runtime left on disk: the functions' orders and audit log, and the payment simulator's ledger. */
export interface StoreSnapshot {
  orders: OrderDocument[];
  events: AuditEvent[];
  trades: Trade[];
  refunds: RefundRecord[];
}

/**
 * Reads the NeDB files of a runtime's DATA_DIR directly, as a separate witness of what was stored
 * (not through the functions under test), each from a private copy (see readCollectionFile).
 */
export async function readStore(dataDir: string): Promise<StoreSnapshot> {
  const load = async <T>(folder: string, collection: string): Promise<T[]> =>
    (await readCollectionFile(join(dataDir, folder, `${collection}.db`))) as unknown as T[];
  return {
    orders: await load<OrderDocument>('functions', 'orders'),
    events: await load<AuditEvent>('functions', 'order_events'),
    trades: await load<Trade>('platform', 'paysim_trades'),
    refunds: await load<RefundRecord>('platform', 'paysim_refunds'),
  };
}
