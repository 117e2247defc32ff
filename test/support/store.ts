import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a collection of the runtime's durable store straight from its NeDB file, without opening
 * it for writing (the running runtime owns the file). Later lines win; deleted documents vanish.
 */
export function readCollection<T = Record<string, any>>(dataDir: string, area: 'functions' | 'platform', name: string): T[] {
  const file = join(dataDir, area, `${name}.db`);
  if (!existsSync(file)) return [];
  const documents = new Map<string, T>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a torn last line after a crash
    }
    if ('$$indexCreated' in document || '$$indexRemoved' in document) continue;
    const id = String(document._id);
    if (document.$$deleted === true) documents.delete(id);
    else documents.set(id, document as T);
  }
  return [...documents.values()];
}

export function orderEvents(dataDir: string, orderId: string): Record<string, any>[] {
  return readCollection(dataDir, 'functions', 'order_events')
    .filter((event) => event.orderId === orderId)
    .sort((a, b) => a.at - b.at);
}

export function storedOrder(dataDir: string, orderId: string): Record<string, any> | undefined {
  return readCollection(dataDir, 'functions', 'orders').find((order) => order._id === orderId);
}
