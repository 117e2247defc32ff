import { closeSync, openSync, writeSync } from 'node:fs';
import type Datastore from '@seald-io/nedb';
// NeDB's own serializer, so the lines are exactly what NeDB would have appended.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { serialize } = require('@seald-io/nedb/lib/model') as { serialize: (document: unknown) => string };

interface PersistenceInternals {
  persistNewStateAsync(newDocs: unknown[]): Promise<void>;
}

/**
 * NeDB appends every change with `fs.promises.appendFile`, which opens, writes and closes the file
 * through the thread pool each time: under load most of the store's time went there. This keeps
 * one descriptor per collection open and appends the same lines with a synchronous write (a small
 * write to the page cache takes microseconds). NeDB runs the operations of a datastore one after
 * the other, so appends never interleave. A compaction rewrites the file (write, then rename), after
 * which the descriptor is reopened on the new file. Durability is as before: a change is in the
 * file before its operation resolves, so it survives the process being killed.
 */
export function keepAppendHandleOpen(datastore: Datastore<Record<string, unknown>>, filename: string): () => void {
  let fd: number | null = null;
  const persistence = datastore.persistence as unknown as PersistenceInternals;
  persistence.persistNewStateAsync = async (newDocs: unknown[]) => {
    if (newDocs.length === 0) return;
    let lines = '';
    for (const document of newDocs) lines += `${serialize(document)}\n`;
    fd ??= openSync(filename, 'a', 0o644);
    writeSync(fd, lines);
  };
  const reopen = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  datastore.on('compaction.done', reopen);
  return () => {
    datastore.off('compaction.done', reopen);
    reopen();
  };
}
