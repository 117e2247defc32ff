import Datastore from '@seald-io/nedb';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { keepAppendHandleOpen } from './appender';
import { updateCountingModified } from './modifiedCount';
import type {
  Collection,
  Database,
  DbCommand,
  Document,
  Query,
  QueryCommand,
  RemoveResult,
  UpdateResult,
} from '../../core/platform/wxCloud';

type Op = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'nin' | 'exists' | 'inc' | 'remove' | 'push';

class LocalCommand implements QueryCommand {
  constructor(
    readonly op: Op,
    readonly value: unknown,
  ) {}
  get __command(): unknown {
    return { op: this.op, value: this.value };
  }
}

export const localCommand: DbCommand = {
  eq: (value) => new LocalCommand('eq', value),
  neq: (value) => new LocalCommand('neq', value),
  lt: (value) => new LocalCommand('lt', value),
  lte: (value) => new LocalCommand('lte', value),
  gt: (value) => new LocalCommand('gt', value),
  gte: (value) => new LocalCommand('gte', value),
  in: (values) => new LocalCommand('in', values),
  nin: (values) => new LocalCommand('nin', values),
  exists: (present) => new LocalCommand('exists', present),
  inc: (by) => new LocalCommand('inc', by),
  remove: () => new LocalCommand('remove', null),
  push: (value) => new LocalCommand('push', value),
};

const QUERY_OPERATORS: Partial<Record<Op, string>> = {
  eq: '$eq',
  neq: '$ne',
  lt: '$lt',
  lte: '$lte',
  gt: '$gt',
  gte: '$gte',
  in: '$in',
  nin: '$nin',
  exists: '$exists',
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof LocalCommand) && !(value instanceof Date);
}

/** CloudBase reads a nested object in a query or an update as its dotted fields. */
function flatten(input: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('$')) throw new Error(`database: field names may not start with $ (${key})`);
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && Object.keys(value).length > 0) flatten(value, path, out);
    else out[path] = value;
  }
  return out;
}

function toNedbQuery(condition: Record<string, unknown>): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flatten(condition))) {
    if (value instanceof LocalCommand) {
      const operator = QUERY_OPERATORS[value.op];
      if (!operator) throw new Error(`database: ${value.op} cannot be used in a query`);
      query[path] = value.op === 'eq' ? value.value : { [operator]: value.value };
    } else {
      query[path] = value;
    }
  }
  return query;
}

function toNedbUpdate(data: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const update: Record<string, Record<string, unknown>> = {};
  const put = (operator: string, path: string, value: unknown) => {
    update[operator] ??= {};
    (update[operator] as Record<string, unknown>)[path] = value;
  };
  for (const [path, value] of Object.entries(flatten(data))) {
    if (path === '_id') continue;
    if (value instanceof LocalCommand) {
      if (value.op === 'inc') put('$inc', path, value.value);
      else if (value.op === 'remove') put('$unset', path, true);
      else if (value.op === 'push') put('$push', path, value.value);
      else throw new Error(`database: ${value.op} cannot be used in an update`);
    } else {
      put('$set', path, value === undefined ? null : value);
    }
  }
  return update;
}

function strip(document: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
}

interface QueryState {
  condition: Record<string, unknown>;
  sort: Record<string, 1 | -1> | null;
  skip: number;
  limit: number;
}

/** A function's `get()` returns at most 100 documents, as in a cloud function. */
const MAX_LIMIT = 100;

class LocalQuery implements Query {
  constructor(
    protected readonly open: () => Promise<Datastore<Record<string, unknown>>>,
    protected readonly state: QueryState = { condition: {}, sort: null, skip: 0, limit: MAX_LIMIT },
  ) {}

  private with(patch: Partial<QueryState>): LocalQuery {
    return new LocalQuery(this.open, { ...this.state, ...patch });
  }

  where(condition: Record<string, unknown>): Query {
    return this.with({ condition: { ...this.state.condition, ...condition } });
  }
  orderBy(field: string, direction: 'asc' | 'desc'): Query {
    return this.with({ sort: { ...(this.state.sort ?? {}), [field]: direction === 'asc' ? 1 : -1 } });
  }
  skip(count: number): Query {
    return this.with({ skip: count });
  }
  limit(count: number): Query {
    return this.with({ limit: Math.min(count, MAX_LIMIT) });
  }
  async get(): Promise<{ data: Document[] }> {
    let cursor = (await this.open()).findAsync(toNedbQuery(this.state.condition));
    if (this.state.sort) cursor = cursor.sort(this.state.sort);
    const documents = (await cursor.skip(this.state.skip).limit(this.state.limit)) as unknown as Record<string, unknown>[];
    return { data: documents.map((d) => strip(d) as Document) };
  }
  async count(): Promise<{ total: number }> {
    const total = (await (await this.open()).countAsync(toNedbQuery(this.state.condition))) as unknown as number;
    return { total };
  }
  async update(options: { data: Record<string, unknown> }): Promise<UpdateResult> {
    // Changed documents, not matched ones, as CloudBase counts them (./modifiedCount.ts).
    return { stats: { updated: await updateCountingModified(await this.open(), toNedbQuery(this.state.condition), toNedbUpdate(options.data), true) } };
  }
  async remove(): Promise<RemoveResult> {
    const removed = await (await this.open()).removeAsync(toNedbQuery(this.state.condition), { multi: true });
    return { stats: { removed } };
  }
}

class LocalCollection extends LocalQuery implements Collection {
  async add({ data }: { data: Record<string, unknown> }): Promise<{ _id: string }> {
    const inserted = await (await this.open()).insertAsync(strip(data));
    return { _id: inserted._id };
  }
}

const INDEXES: Record<string, { fieldName: string; unique?: boolean }[]> = {
  orders: [{ fieldName: 'outTradeNo', unique: true }, { fieldName: 'userHash' }, { fieldName: 'status' }, { fieldName: 'conversationId' }],
  conversations: [{ fieldName: 'userHash' }],
  reports: [{ fieldName: 'userHash' }],
  order_events: [{ fieldName: 'orderId' }],
  // The payment simulator's ledger is looked up by number on every notification, query and refund.
  paysim_trades: [{ fieldName: 'outTradeNo', unique: true }],
  paysim_refunds: [{ fieldName: 'outRefundNo', unique: true }, { fieldName: 'outTradeNo' }],
};

/**
 * The embedded, durable store behind the local runtime: one append-only NeDB file per
 * collection under DATA_DIR, surviving restarts and `kill -9` (a torn last line is dropped).
 */
export class LocalStore {
  private readonly stores = new Map<string, Promise<Datastore<Record<string, unknown>>>>();
  private readonly closers: (() => void)[] = [];

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  open(name: string): Promise<Datastore<Record<string, unknown>>> {
    let store = this.stores.get(name);
    if (!store) {
      if (!/^[a-z_]{1,40}$/.test(name)) return Promise.reject(new Error(`database: bad collection name ${name}`));
      store = (async () => {
        const filename = join(this.dir, `${name}.db`);
        const datastore = new Datastore<Record<string, unknown>>({ filename, corruptAlertThreshold: 0.05 });
        await datastore.loadDatabaseAsync();
        this.closers.push(keepAppendHandleOpen(datastore, filename));
        for (const index of INDEXES[name] ?? []) await datastore.ensureIndexAsync(index);
        datastore.setAutocompactionInterval(5 * 60_000);
        return datastore;
      })();
      this.stores.set(name, store);
    }
    return store;
  }

  database(): Database {
    return {
      command: localCommand,
      collection: (name: string) => new LocalCollection(() => this.open(name)),
    };
  }

  async close(): Promise<void> {
    for (const store of this.stores.values()) {
      const datastore = await store;
      datastore.stopAutocompaction();
      await datastore.compactDatafileAsync();
    }
    for (const close of this.closers) close();
  }
}
