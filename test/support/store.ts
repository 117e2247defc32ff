import { join } from 'node:path';
import { readCollectionFile } from '../../local/store/readCopy';
import type { Json } from './json';

/**
 * Reads a collection of a runtime's durable store from a private copy of its NeDB file (the
 * running runtime owns the file and keeps writing it).
 */
export async function readCollection<T = Json>(dataDir: string, area: 'functions' | 'platform', name: string): Promise<T[]> {
  return (await readCollectionFile(join(dataDir, area, `${name}.db`))) as unknown as T[];
}

export async function orderEvents(dataDir: string, orderId: string): Promise<Json[]> {
  return (await readCollection(dataDir, 'functions', 'order_events')).filter((event) => event.orderId === orderId).sort((a, b) => a.at - b.at);
}

export async function storedOrder(dataDir: string, orderId: string): Promise<Json | undefined> {
  return (await readCollection(dataDir, 'functions', 'orders')).find((order) => order._id === orderId);
}
