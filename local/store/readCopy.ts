import Datastore from '@seald-io/nedb';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every document of one collection file of the store, read from a private copy of the file, so a
 * runtime that is still writing it is never disturbed; a torn last line (kill -9) is dropped as
 * the runtime's own store drops it.
 */
export async function readCollectionFile(file: string): Promise<Record<string, unknown>[]> {
  if (!existsSync(file)) return [];
  const dir = mkdtempSync(join(tmpdir(), 'store-copy-'));
  try {
    const copy = join(dir, 'copy.db');
    copyFileSync(file, copy);
    const store = new Datastore<Record<string, unknown>>({ filename: copy, corruptAlertThreshold: 0.05 });
    await store.loadDatabaseAsync();
    return (await store.findAsync({})) as unknown as Record<string, unknown>[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
