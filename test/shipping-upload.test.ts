import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHIPPING_MAX_ATTEMPTS, uploadShipping } from '../core/compliance/shipping';
import { readEnv } from '../core/config/env';
import type { AppContext } from '../core/context';
import type { OrderDocument } from '../core/orders/order';
import { OrderRepository } from '../core/orders/repository';
import type { UploadShippingInfoRequest } from '../core/platform/openapi';
import { sealOpenid } from '../core/security/identity';
import { LocalStore } from '../local/store/localDatabase';
import { openOrder } from '../core/orders/lifecycle';

/**
 * The shipping upload's bookkeeping on the real embedded store: each attempt claimed once, every
 * attempt an audit event, retries only when due and bounded, the payer's sealed openid erased once
 * the upload no longer needs it. The platform call is a stand-in that answers as wx-server-sdk
 * does: it resolves on errcode 0 and throws `{ errCode, errMsg }` otherwise (see
 * core/platform/openapi.ts). The same path through the real SDK and the local runtime is in
 * compliance-e2e.test.ts.
 */
const SEAL_KEY = Buffer.alloc(32, 7);
let dir: string;
let store: LocalStore;
let clock: number;
let uploads: UploadShippingInfoRequest[];
let failWith: { errCode: number; errMsg: string } | null;
let ctx: AppContext;

beforeEach(() => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  dir = mkdtempSync(join(tmpdir(), 'shipping-'));
  store = new LocalStore(dir);
  clock = 1_800_000_000_000;
  uploads = [];
  failWith = null;
  const db = store.database();
  const now = () => clock;
  const openapi = {
    wxa: {
      sec: {
        order: {
          uploadShippingInfo: async (request: UploadShippingInfoRequest) => {
            uploads.push(request);
            // A moment passes while the platform answers: concurrent callers interleave here.
            await new Promise((resolve) => setImmediate(resolve));
            if (failWith) throw Object.assign(new Error(failWith.errMsg), failWith);
            return { errCode: 0, errMsg: 'openapi.wxa.sec.order.uploadShippingInfo:ok' };
          },
        },
      },
    },
  };
  ctx = {
    cloud: { openapi },
    db,
    env: readEnv({ PAY_MODE: 'cloudpay', OPENID_HASH_SECRET: 'x', OPENID_SEAL_KEY: SEAL_KEY.toString('base64'), SHIPPING_INFO_REQUIRED: '1', WXPAY_SUB_MCH_ID: '1900000001' }),
    orders: new OrderRepository(db, now),
    now,
  } as unknown as AppContext;
});

afterEach(async () => {
  jest.restoreAllMocks();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function completedOrder(overrides: Partial<OrderDocument> = {}): Promise<OrderDocument> {
  const order: OrderDocument = {
    _id: `order-${Math.random().toString(36).slice(2)}`,
    outTradeNo: `T${clock}${Math.floor(Math.random() * 1e6)}`,
    userHash: 'hash',
    tier: 'quick',
    amountFen: 100,
    description: 'AI 快速回答',
    prompt: 'Name three teas',
    redactions: {},
    conversationId: 'cShippingTest',
    status: 'completed',
    rev: 5,
    output: 'Longjing, Pu-erh, Tieguanyin.',
    outputComplete: true,
    createdAt: clock - 60_000,
    updatedAt: clock,
    expiresAt: clock + 600_000,
    paidAt: clock - 50_000,
    completedAt: clock,
    transactionId: '4200000001202611290000000001',
    attempts: 1,
    payerOpenidSealed: sealOpenid('o-payer', SEAL_KEY),
    shipping: { status: 'pending', attempts: 0 },
    ...overrides,
  };
  await openOrder(ctx, order);
  return order;
}

const read = async (id: string) => (await ctx.orders.findById(id)) as OrderDocument;
const events = async (id: string, type: string) => (await ctx.orders.events(id)).filter((e) => e.type === type);

test('a completed order is uploaded once as a virtual good for its payer; the sealed openid is then erased', async () => {
  const order = await completedOrder();
  expect(await uploadShipping(ctx, order, 'completion')).toBe('uploaded');
  expect(uploads).toEqual([
    {
      order_key: { order_number_type: 2, transaction_id: '4200000001202611290000000001' },
      logistics_type: 3,
      delivery_mode: 1,
      shipping_list: [{ item_desc: 'AI 快速回答' }],
      upload_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
      payer: { openid: 'o-payer' },
    },
  ]);
  const stored = await read(order._id);
  expect(stored.shipping).toMatchObject({ status: 'uploaded', attempts: 1, uploadedAt: clock });
  expect(stored).not.toHaveProperty('payerOpenidSealed');
  expect(await events(order._id, 'shipping_uploaded')).toEqual([expect.objectContaining({ detail: { attempt: 1, by: 'completion' } })]);
  // Nothing more to do for anyone afterwards.
  expect(await uploadShipping(ctx, stored, 'reconcile')).toBe('skipped');
  expect(uploads).toHaveLength(1);
});

test('two callers at once (the completion follow-up and reconcile) upload it once', async () => {
  const order = await completedOrder();
  const outcomes = await Promise.all([uploadShipping(ctx, order, 'completion'), uploadShipping(ctx, order, 'reconcile')]);
  expect(outcomes.sort()).toEqual(['skipped', 'uploaded']);
  expect(uploads).toHaveLength(1);
});

test('a failed upload is recorded with the platform’s code, keeps the openid, and is retried only once due', async () => {
  const order = await completedOrder();
  failWith = { errCode: -1, errMsg: 'openapi.wxa.sec.order.uploadShippingInfo:fail system error' };
  expect(await uploadShipping(ctx, order, 'completion')).toBe('failed');
  let stored = await read(order._id);
  expect(stored.shipping).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('errCode -1') });
  expect(stored.payerOpenidSealed).toEqual(expect.any(String));
  expect(await events(order._id, 'shipping_upload_failed')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ attempt: 1, errCode: -1, gaveUp: false }) })]);

  // Too soon: the first retry waits SHIPPING_RETRY_BASE_SECONDS (60 s).
  failWith = null;
  clock += 59_000;
  expect(await uploadShipping(ctx, stored, 'reconcile')).toBe('skipped');
  clock += 1_000;
  expect(await uploadShipping(ctx, stored, 'reconcile')).toBe('uploaded');
  stored = await read(order._id);
  expect(stored.shipping).toMatchObject({ status: 'uploaded', attempts: 2 });
  expect(stored).not.toHaveProperty('payerOpenidSealed');
  expect((await events(order._id, 'shipping_uploaded'))[0]?.detail).toEqual({ attempt: 2, by: 'reconcile' });
});

test('after the last attempt fails it is left to an operator, and the openid is not kept for nothing', async () => {
  const order = await completedOrder();
  failWith = { errCode: 10060001, errMsg: 'openapi.wxa.sec.order.uploadShippingInfo:fail' };
  for (let attempt = 1; attempt <= SHIPPING_MAX_ATTEMPTS; attempt += 1) {
    clock += 3_600_000;
    expect(await uploadShipping(ctx, await read(order._id), 'reconcile')).toBe(attempt < SHIPPING_MAX_ATTEMPTS ? 'failed' : 'gave_up');
  }
  const stored = await read(order._id);
  expect(stored.shipping).toMatchObject({ status: 'gave_up', attempts: SHIPPING_MAX_ATTEMPTS });
  expect(stored).not.toHaveProperty('payerOpenidSealed');
  clock += 3_600_000;
  expect(await uploadShipping(ctx, stored, 'reconcile')).toBe('skipped');
  expect(uploads).toHaveLength(SHIPPING_MAX_ATTEMPTS);
  expect(await events(order._id, 'shipping_upload_failed')).toHaveLength(SHIPPING_MAX_ATTEMPTS);
});

test('an order whose payer openid is gone is not retried in vain', async () => {
  const order = await completedOrder({ payerOpenidSealed: undefined });
  expect(await uploadShipping(ctx, order, 'completion')).toBe('gave_up');
  expect(uploads).toEqual([]);
  expect((await read(order._id)).shipping).toMatchObject({ status: 'gave_up', lastError: 'the payer openid is no longer kept' });
});

test('without a transaction id the order is named by merchant and out_trade_no', async () => {
  const order = await completedOrder({ transactionId: undefined });
  expect(await uploadShipping(ctx, order, 'completion')).toBe('uploaded');
  expect(uploads[0]?.order_key).toEqual({ order_number_type: 1, mchid: '1900000001', out_trade_no: order.outTradeNo });
});

test('an attempt left half-way by a worker that died is taken again after a minute', async () => {
  const order = await completedOrder({ shipping: { status: 'uploading', attempts: 1, lastAttemptAt: clock } });
  expect(await uploadShipping(ctx, order, 'reconcile')).toBe('skipped');
  clock += 60_000;
  expect(await uploadShipping(ctx, order, 'reconcile')).toBe('uploaded');
  expect((await read(order._id)).shipping).toMatchObject({ status: 'uploaded', attempts: 2 });
});

test('orders that are not completed, or not subject, are never uploaded', async () => {
  const refunded = await completedOrder({ status: 'refunded' });
  const notSubject = await completedOrder({ shipping: undefined });
  expect(await uploadShipping(ctx, refunded, 'reconcile')).toBe('skipped');
  expect(await uploadShipping(ctx, notSubject, 'reconcile')).toBe('skipped');
  expect(uploads).toEqual([]);
});
