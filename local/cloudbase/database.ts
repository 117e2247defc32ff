import { EJSON } from 'bson';
import type { LocalStore } from '../store/localDatabase';
import { updateCountingModified } from '../store/modifiedCount';
import { tcbError, type ApiAnswer, type ApiCall, type ApiHandler } from './dispatcher';

/**
 * The database actions of CloudBase's server API, over the embedded NeDB store.
 *
 * Request shapes are what @cloudbase/database (1.4.x, used by @cloudbase/node-sdk 3.17.2) sends:
 * `collectionName`, `query` (an EJSON string of a MongoDB-style filter built by its
 * QuerySerializer: `$in`, `$lt`, `$exists`, `$ne`, … on dotted paths), `order`, `offset`,
 * `limit`, `queryType` (`WHERE` / `DOC`), `multi`, `merge`, `upsert`, `data` (an EJSON update
 * built by its UpdateSerializer: `$set`, `$inc`, `$unset`, `$push: { $each }`; or, for
 * `doc().set`, the replacement document). Answer shapes are what the same package reads back
 * (dist/commonjs/query.js, document.js, collection.js): `data.list` (EJSON strings),
 * `data.total`, `data.updated` / `data.upsert_id`, `data.deleted`, `data.insertedIds`.
 * wx-server-sdk turns them into `{ data }`, `{ total }`, `{ stats: { updated } }`, `{ _id }`.
 * `updated` counts the documents an update changed, not those it matched, as CloudBase counts them
 * (../store/modifiedCount.ts).
 */

type Doc = Record<string, unknown>;

function parseEjson(value: unknown): Doc {
  if (value === undefined || value === null || value === '') return {};
  const parsed = EJSON.parse(typeof value === 'string' ? value : JSON.stringify(value), { relaxed: true }) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected an object');
  return parsed as Doc;
}

/** NeDB has no `$eq`: `{ field: { $eq: v } }` is `{ field: v }`. */
function toNedbFilter(query: Doc): Doc {
  const out: Doc = {};
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' || key === '$or') {
      out[key] = (value as Doc[]).map(toNedbFilter);
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      const ops = value as Doc;
      const keys = Object.keys(ops);
      if (keys.length === 1 && keys[0] === '$eq') {
        out[key] = ops.$eq;
        continue;
      }
    }
    out[key] = value;
  }
  return out;
}

const ok = (data: unknown, call: ApiCall): ApiAnswer => ({ json: { requestId: call.invocation.id, data } });

function collectionOf(call: ApiCall): string {
  const name = call.params.collectionName;
  if (typeof name !== 'string' || !name) throw new Error('collectionName is required');
  return name;
}

function failed(error: unknown): ApiAnswer {
  const message = error instanceof Error ? error.message : String(error);
  // NeDB's unique-index violation reads like MongoDB's (which CloudBase's database is built on).
  const duplicate = /unique constraint/i.test(message);
  return tcbError('DATABASE_REQUEST_FAILED', duplicate ? `E11000 duplicate key error: ${message}` : message);
}

export function databaseHandlers(store: LocalStore): Record<string, ApiHandler> {
  const guarded =
    (run: (call: ApiCall) => Promise<ApiAnswer>): ApiHandler =>
    async (call) => {
      try {
        return await run(call);
      } catch (error) {
        return failed(error);
      }
    };

  return {
    'database.getDocument': guarded(async (call) => {
      const db = await store.open(collectionOf(call));
      let cursor = db.findAsync(toNedbFilter(parseEjson(call.params.query)));
      const order = parseEjson(call.params.order) as Record<string, 1 | -1>;
      if (Object.keys(order).length > 0) cursor = cursor.sort(order);
      const offset = Number(call.params.offset ?? 0);
      if (offset > 0) cursor = cursor.skip(offset);
      // The SDK always sends a limit (100 by default, at most 1000).
      const limit = Number(call.params.limit ?? 100);
      const documents = (await cursor.limit(Math.min(Math.max(limit, 1), 1000))) as unknown as Doc[];
      return ok({ list: documents.map((doc) => EJSON.stringify(doc, { relaxed: true })) }, call);
    }),

    'database.calculateDocument': guarded(async (call) => {
      const db = await store.open(collectionOf(call));
      const total = (await db.countAsync(toNedbFilter(parseEjson(call.params.query)))) as unknown as number;
      return ok({ total }, call);
    }),

    'database.insertDocument': guarded(async (call) => {
      const db = await store.open(collectionOf(call));
      const raw = call.params.data;
      if (!Array.isArray(raw)) throw new Error('data must be a list of documents');
      const documents = raw.map(parseEjson);
      const inserted = (await db.insertAsync(documents)) as unknown as Doc[];
      return ok({ insertedIds: inserted.map((doc) => doc._id) }, call);
    }),

    'database.modifyDocument': guarded(async (call) => {
      const db = await store.open(collectionOf(call));
      const query = toNedbFilter(parseEjson(call.params.query));
      const data = parseEjson(call.params.data);
      const multi = call.params.multi === true || call.params.multi === 'true';
      const replace = call.params.merge === false || call.params.merge === 'false';
      if (replace) {
        // doc(id).set(): the whole document is replaced, or created with that _id.
        const id = query._id;
        if (typeof id !== 'string' && typeof id !== 'number') throw new Error('set needs a document id');
        const { numAffected, upsert } = await db.updateAsync({ _id: id }, { ...data, _id: id }, { upsert: true });
        return ok(upsert ? { updated: 0, upsert_id: id } : { updated: numAffected }, call);
      }
      if (Object.keys(data).some((key) => !key.startsWith('$'))) throw new Error('an update takes update operators only');
      return ok({ updated: await updateCountingModified(db, query, data, multi) }, call);
    }),

    'database.removeDocument': guarded(async (call) => {
      const db = await store.open(collectionOf(call));
      const multi = call.params.multi === true || call.params.multi === 'true';
      const deleted = await db.removeAsync(toNedbFilter(parseEjson(call.params.query)), { multi });
      return ok({ deleted }, call);
    }),
  };
}
