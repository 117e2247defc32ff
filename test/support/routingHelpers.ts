import { join } from 'node:path';
import type { OrderDocument } from '../../core/orders/order';
import { readCollectionFile } from '../../local/store/readCopy';
import type { LocalRuntime } from './runtime';

/** Fast local-model defaults for routing tests: answers in a fraction of a second. */
export const FAST_MODEL = { firstTokenMs: 20, tokensPerSecond: 400, answerTokens: 24 };

/** An order as the functions store it. */
export type StoredOrder = OrderDocument;

/** A collection of the functions' store, read from a copy of its NeDB file (the runtime keeps writing). */
export async function storedDocuments<T>(runtime: LocalRuntime, collection: string): Promise<T[]> {
  return (await readCollectionFile(join(runtime.dataDir, 'functions', `${collection}.db`))) as unknown as T[];
}

/** Creates an order as `user`, pays it in the simulator and returns its ids. */
export async function payForOrder(runtime: LocalRuntime, user: string, tier: string, prompt: string, extra: Record<string, unknown> = {}): Promise<{ orderId: string; outTradeNo: string }> {
  const created = await runtime.call('createOrder', { tier, prompt, ...extra }, user);
  if (!created.ok) throw new Error(`createOrder failed: ${JSON.stringify(created.error)}`);
  const order = created.order as { orderId: string; outTradeNo: string };
  const paid = await runtime.pay(order.outTradeNo);
  if (!paid.ok) throw new Error(`payment failed: ${paid.errMsg}`);
  return order;
}

export const finished = (order: Record<string, unknown>) => order.status === 'completed' || order.status === 'refunded';
