import type { AppContext } from '../../context';
import type { OrderDocument } from '../order';
import type { OrderWrite } from '../repository';
import type { OrderStatus } from '../states';
import { orderStore } from '../store';

/**
 * Statuses in which a turn's text can be erased: nothing will read its prompt or write its output
 * again. A refunding order only waits for its money to go back (the refund reads amounts and
 * numbers, never text). `pending_payment`, `paid` and `generating` may still be answered.
 */
export const ERASABLE_STATUSES: readonly OrderStatus[] = ['completed', 'refunded', 'closed', 'refunding'];

/**
 * The audit-event details that survive an erasure: what accounting and the payment trail need
 * (where evidence came from, refund numbers, amounts, provider states, who acted). Everything else
 * (attempt lists, content-check verdicts, failure reasons, provider messages) is removed, so that
 * no text of the conversation can survive in an event whatever a future event records.
 */
export const ACCOUNTING_DETAIL_KEYS: ReadonlySet<string> = new Set([
  'source',
  'outRefundNo',
  'amountFen',
  'expectedFen',
  'notifiedFen',
  'providerFen',
  'state',
  'providerState',
  'previous',
  'by',
]);

export function isErasable(order: OrderDocument): boolean {
  return ERASABLE_STATUSES.includes(order.status);
}

/**
 * The user deleted the conversation this order is a turn of (PIPL's right to deletion): its prompt,
 * its output and the counts of what redaction removed are erased, and its audit events keep only
 * the facts accounting needs (ACCOUNTING_DETAIL_KEYS). Amounts, statuses, times, the trade,
 * transaction and refund numbers, usage and margin stay. Conditional on the status the caller read
 * (one that is erasable): false, and nothing changed, when the order moved meanwhile or is not
 * erasable. Erasing an erased order again changes nothing and answers true.
 */
export async function eraseTurn(ctx: AppContext, order: OrderDocument): Promise<boolean> {
  if (!isErasable(order)) return false;
  const store = orderStore(ctx);
  if (order.erasedAt === undefined) {
    const _ = ctx.db.command;
    const counts: OrderWrite = Object.fromEntries(Object.keys(order.redactions ?? {}).map((kind) => [`redactions.${kind}`, _.remove()]));
    const erased = await store.patch(order._id, { status: order.status }, { prompt: '', output: '', ...counts, erasedAt: ctx.now() });
    if (!erased) return false;
    await store.audit({ orderId: order._id, type: 'conversation_erased', at: ctx.now() });
  }
  await store.scrubEventDetails(order._id, ACCOUNTING_DETAIL_KEYS);
  return true;
}
