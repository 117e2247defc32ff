import type Datastore from '@seald-io/nedb';
// NeDB's own matcher and serializer, so "matched" and "changed" mean what they mean to the store.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { match, serialize } = require('@seald-io/nedb/lib/model') as { match: (doc: unknown, query: unknown) => boolean; serialize: (doc: unknown) => string };

type Doc = Record<string, unknown>;

interface DatastoreInternals {
  executor: { pushAsync<T>(task: () => Promise<T>): Promise<T> };
  _getCandidatesAsync(query: Doc): Promise<Doc[]>;
  _updateAsync(query: Doc, update: Doc, options: { multi: boolean; returnUpdatedDocs: true }): Promise<{ affectedDocuments: Doc | Doc[] | null }>;
}

/**
 * An update that reports how many documents it **changed**, as CloudBase's `stats.updated` does:
 * a matched document whose values stay the same is not counted. The docs describe `updated` only
 * as "the number of records updated successfully"
 * (https://developers.weixin.qq.com/minigame/en/dev/wxcloud/reference-server-api/database/collection.update.html),
 * and the HTTP API behind it answers `matched` and `modified` separately
 * (https://developers.weixin.qq.com/minigame/en/dev/wxcloud/reference-http-api/database/databaseUpdate.html);
 * a developer who tried it reports `stats.updated` 0 when a matched record already held the values
 * written (https://developers.weixin.qq.com/community/develop/doc/000a2e28284f305bf99733ddd56800,
 * "云数据库update命令返回结果中更新成功条数有歧义"). NeDB counts matched documents, so this counts
 * the changed ones itself: the read, the update and the comparison run as one task of the
 * datastore's executor, so no other operation comes between them.
 */
export function updateCountingModified(datastore: Datastore<Doc>, query: Doc, update: Doc, multi: boolean): Promise<number> {
  const internals = datastore as unknown as DatastoreInternals;
  return internals.executor.pushAsync(async () => {
    const matched = (await internals._getCandidatesAsync(query)).filter((doc) => match(doc, query));
    const before = new Map((multi ? matched : matched.slice(0, 1)).map((doc) => [doc._id, serialize(doc)]));
    const { affectedDocuments } = await internals._updateAsync(query, update, { multi, returnUpdatedDocs: true });
    const after = affectedDocuments === null ? [] : Array.isArray(affectedDocuments) ? affectedDocuments : [affectedDocuments];
    return after.filter((doc) => before.get(doc._id) !== serialize(doc)).length;
  });
}
