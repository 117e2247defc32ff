import { join } from 'node:path';
import type { OrderDocument } from '../../core/orders/order';
import { readCollectionFile } from '../../local/store/readCopy';
import type { LocalRuntime } from './runtime';

/** Fast local-model defaults for routing tests: answers in a fraction of a second. */
export const FAST_MODEL = { firstTokenMs: 20, tokensPerSecond: 400, answerTokens: 24 };

/** An order as the functions store it. */
export type StoredOrder = OrderDocument;

export interface StoredEvent {
  orderId: string;
  type: string;
  at: number;
  detail?: { attempts?: { provider: string; model: string; outcome: string; ms: number }[]; reason?: string };
}

/** A collection of the functions' store, read from a copy of its NeDB file (the runtime keeps writing). */
export async function storedDocuments<T>(runtime: LocalRuntime, collection: string): Promise<T[]> {
  return (await readCollectionFile(join(runtime.dataDir, 'functions', `${collection}.db`))) as unknown as T[];
}

export async function storedOrder(runtime: LocalRuntime, orderId: string): Promise<StoredOrder> {
  const order = (await storedDocuments<StoredOrder>(runtime, 'orders')).find((o) => o._id === orderId);
  if (!order) throw new Error(`order ${orderId} is not in the store`);
  return order;
}

export async function orderEvents(runtime: LocalRuntime, orderId: string): Promise<StoredEvent[]> {
  return (await storedDocuments<StoredEvent>(runtime, 'order_events')).filter((e) => e.orderId === orderId).sort((a, b) => a.at - b.at);
}

/**
 * The event that ended an order's generation (`generation_completed` or `generation_failed`). The
 * audit event is appended just after the order's own update, so it is waited for briefly.
 */
export async function endingEvent(runtime: LocalRuntime, orderId: string): Promise<StoredEvent> {
  for (let round = 0; round < 40; round += 1) {
    const ending = (await orderEvents(runtime, orderId)).find((e) => e.type === 'generation_completed' || e.type === 'generation_failed');
    if (ending) return ending;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`order ${orderId} has no generation_completed or generation_failed event`);
}

export const attemptList = (event: StoredEvent) => (event.detail?.attempts ?? []).map((a) => `${a.model}:${a.outcome}`);

/** How many chat completions each model name received from the local model server so far. */
export async function modelCalls(runtime: LocalRuntime): Promise<Record<string, number>> {
  const stats = await runtime.get<{ model: { byModel: Record<string, number> } }>('/api/stats');
  return { ...stats.model.byModel };
}

export function callsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [model, count] of Object.entries(after)) {
    const added = count - (before[model] ?? 0);
    if (added > 0) delta[model] = added;
  }
  return delta;
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
