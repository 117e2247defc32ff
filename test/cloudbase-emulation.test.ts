import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseHandlers } from '../local/cloudbase/database';
import { drawFault, ruleFor } from '../local/cloudbase/dbFaults';
import type { ApiCall } from '../local/cloudbase/dispatcher';
import type { Invocation } from '../local/functions/host';
import { defaultFaults, mergeFaults } from '../local/pay/faults';
import { LocalStore } from '../local/store/localDatabase';

/** The emulated CloudBase's own rules, checked without a runtime process. */
let dir: string;
let store: LocalStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulation-'));
  store = new LocalStore(dir);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stats.updated counts the documents an update changed, as CloudBase does', () => {
  test('through the store the in-process tier uses', async () => {
    const orders = store.database().collection('things');
    await orders.add({ data: { _id: 'o1', status: 'paid', rev: 1 } });
    await orders.add({ data: { _id: 'o2', status: 'paid', rev: 1 } });
    // Matched, but nothing changes: CloudBase reports 0.
    expect((await orders.where({ status: 'paid' }).update({ data: { status: 'paid' } })).stats.updated).toBe(0);
    expect((await orders.where({ _id: 'o1' }).update({ data: { status: 'generating' } })).stats.updated).toBe(1);
    expect((await orders.where({ rev: 1 }).update({ data: { rev: store.database().command.inc(1) } })).stats.updated).toBe(2);
    expect((await orders.where({ _id: 'o1' }).update({ data: { missing: store.database().command.remove() } })).stats.updated).toBe(0);
  });

  test('through the emulated server API the SDK calls (database.modifyDocument)', async () => {
    await store.database().collection('things').add({ data: { _id: 'o1', status: 'paid', rev: 1 } });
    const modify = databaseHandlers(store)['database.modifyDocument'] as (call: ApiCall) => Promise<{ json: { data: { updated: number } } }>;
    const call = (data: unknown): ApiCall => ({
      action: 'database.modifyDocument',
      // What @cloudbase/database's Query.update sends (dist/commonjs/query.js): EJSON strings.
      params: { collectionName: 'things', query: JSON.stringify({ _id: 'o1' }), data: JSON.stringify(data), multi: true, merge: true, upsert: false },
      invocation: { id: 'test' } as Invocation,
      source: 'wx_client',
    });
    expect((await modify(call({ $set: { status: 'paid' } }))).json.data.updated).toBe(0);
    expect((await modify(call({ $set: { status: 'generating' } }))).json.data.updated).toBe(1);
  });
});

describe('which db fault a request gets', () => {
  const rules = mergeFaults(defaultFaults(), { db: [{ error: 1 }, { timeout: 1, collection: 'orders' }, { lostAnswer: 1, collection: 'orders', op: 'insert' }, { throttle: 1, op: 'count' }] }).db;

  test('the most specific rule that matches applies', () => {
    expect(ruleFor(rules, 'orders', 'insert')?.lostAnswer).toBe(1);
    expect(ruleFor(rules, 'orders', 'get')?.timeout).toBe(1);
    expect(ruleFor(rules, 'orders', 'count')?.timeout).toBe(1);
    expect(ruleFor(rules, 'order_events', 'count')?.throttle).toBe(1);
    expect(ruleFor(rules, 'order_events', 'get')?.error).toBe(1);
  });

  test('one draw, against the rates in turn: error, throttle, timeout, lost answer', () => {
    const rule = { collection: null, op: null, error: 0.1, throttle: 0.1, timeout: 0.1, lostAnswer: 0.1 };
    expect([0.05, 0.15, 0.25, 0.35, 0.45].map((roll) => drawFault(rule, roll))).toEqual(['error', 'throttle', 'timeout', 'lostAnswer', null]);
    expect(drawFault(undefined, 0)).toBeNull();
  });
});
