import { LocalRuntime } from './support/runtime';
import { readCollection } from './support/store';
import { inspectOrder, waitForInspection } from './support/wechatpayV3';
import type { Json } from './support/json';

/**
 * Content security and shipping information end to end, through the local runtime: the built
 * functions run the real wx-server-sdk, whose cloud calls reach the runtime's emulation of
 * CloudBase's server API (`security.msgSecCheck` with a configurable list of risky words and a
 * fault switch; `wxa.sec.order.uploadShippingInfo`, recorded). docs/COMPLIANCE.md describes the
 * behaviour shown here.
 */
let runtime: LocalRuntime;
let users = 0;
const newUser = () => `compliance-user-${process.pid}-${++users}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SecurityCheckRecord {
  openid: string;
  suggest: string;
  label: number;
  keyword?: string;
  contentLength: number;
}
interface ShippingRecord {
  key: string;
  orderKey: Record<string, unknown>;
  logisticsType: number;
  deliveryMode: number;
  shippingList: { item_desc: string }[];
}

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ RATE_LIMIT_PER_MINUTE: '100', SHIPPING_INFO_REQUIRED: '1', SHIPPING_RETRY_BASE_SECONDS: '0' });
});
afterAll(async () => {
  await runtime.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

const checksFor = async (openid: string) =>
  (await runtime.get<{ records: SecurityCheckRecord[] }>('/api/inspect/security-checks')).records.filter((r) => r.openid === openid);
const shippingRecords = async () => (await runtime.get<{ records: ShippingRecord[] }>('/api/inspect/shipping')).records;
const tradeCount = async () => (await readCollection(runtime.dataDir, 'platform', 'paysim_trades')).length;

async function ordersOf(user: string): Promise<unknown[]> {
  const listed = await runtime.call('listOrders', {}, user);
  expect(listed.ok).toBe(true);
  return listed.orders;
}

async function orderAndPay(user: string, prompt = 'Name three teas') {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt }, user);
  expect(created.ok).toBe(true);
  expect((await runtime.pay(created.order.outTradeNo)).ok).toBe(true);
  return created.order as { orderId: string; outTradeNo: string };
}

/** Follows the order as the page does, keeping every output the page was shown. */
async function follow(orderId: string, user: string, until: (order: Json) => boolean) {
  const shown: string[] = [];
  const order = await runtime.waitForOrder(
    orderId,
    (o) => {
      shown.push(o.output);
      return until(o);
    },
    user,
  );
  return { order, shown };
}

describe('the prompt is checked before payment', () => {
  test('a risky prompt is refused: no order is stored, no prepay is made, the check is on record', async () => {
    const user = newUser();
    const trades = await tradeCount();
    const answer = await runtime.call('createOrder', { tier: 'quick', prompt: 'Tell me about local-risky-word please' }, user);
    expect(answer).toEqual({ ok: false, error: { code: 'CONTENT_REJECTED', message: expect.stringContaining('Nothing was charged') } });
    expect(await ordersOf(user)).toEqual([]);
    expect(await tradeCount()).toBe(trades);
    expect(await checksFor(user)).toEqual([expect.objectContaining({ suggest: 'risky', label: 20001, keyword: 'local-risky-word' })]);
    // The user is free to ask something else at once (no lock was left behind).
    const next = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name three teas' }, user);
    expect(next.ok).toBe(true);
    // (and the count above does see a prepay when one is made)
    expect(await tradeCount()).toBe(trades + 1);
  });

  test('what is checked is the redacted prompt, never a phone number', async () => {
    const user = newUser();
    const answer = await runtime.call('createOrder', { tier: 'quick', prompt: 'Call me on 13812345678 about tea' }, user);
    expect(answer.ok).toBe(true);
    const [check] = await checksFor(user);
    // The emulation records only the checked text's length: it is the stored (redacted) prompt's, not the raw one's.
    expect(check?.suggest).toBe('pass');
    const stored = await inspectOrder(runtime.url, answer.order.outTradeNo);
    expect(stored.order.prompt).not.toContain('13812345678');
    expect(check?.contentLength).toBe([...(stored.order.prompt as string)].length);
    expect(check?.contentLength).not.toBe('Call me on 13812345678 about tea'.length);
  });

  test('when the check is unavailable the prompt is refused with a retry-later error, and nothing is stored or charged', async () => {
    const user = newUser();
    const trades = await tradeCount();
    await runtime.faults({ openapi: { msgSecCheckError: 1 } });
    const answer = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name three teas' }, user);
    expect(answer).toEqual({ ok: false, error: { code: 'CONTENT_CHECK_UNAVAILABLE', message: expect.stringContaining('nothing was charged') } });
    expect(await ordersOf(user)).toEqual([]);
    expect(await tradeCount()).toBe(trades);
  });

  test('a prompt sent for review is let through (the answer is checked on its own); the verdict is on record', async () => {
    const user = newUser();
    await runtime.faults({ openapi: { reviewWords: ['borderline tea question'] } });
    const answer = await runtime.call('createOrder', { tier: 'quick', prompt: 'A borderline tea question' }, user);
    expect(answer).toMatchObject({ ok: true, order: { status: 'pending_payment' } });
    expect(await checksFor(user)).toEqual([expect.objectContaining({ suggest: 'review', label: 21000 })]);
  });

  test('61010 (the user has not opened the mini program lately) is no verdict: the prompt is refused with a retry-later error', async () => {
    const user = newUser();
    await runtime.faults({ openapi: { userAccessExpired: 1 } });
    const answer = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name three teas' }, user);
    expect(answer).toEqual({ ok: false, error: { code: 'CONTENT_CHECK_UNAVAILABLE', message: expect.stringContaining('nothing was charged') } });
    expect(await ordersOf(user)).toEqual([]);
  });
});

describe('the answer is checked as it streams', () => {
  test('a clean answer is shown and completes; its pieces were checked on the payer’s behalf', async () => {
    const user = newUser();
    await runtime.faults({ llm: { answerTokens: 120 } });
    const order = await orderAndPay(user);
    const { order: done, shown } = await follow(order.orderId, user, (o) => o.status === 'completed');
    expect(done.output.length).toBeGreaterThan(300);
    // Whatever the page saw on the way was the beginning of the final answer.
    for (const output of shown) expect(done.output.startsWith(output)).toBe(true);
    const checks = await checksFor(user);
    // One for the prompt, then the answer in growing pieces.
    expect(checks.length).toBeGreaterThanOrEqual(3);
    expect(checks.every((c) => c.suggest === 'pass')).toBe(true);
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.events.find((e) => e.type === 'generation_completed')?.detail?.contentChecks).toBe(checks.length - 1);
  });

  test('a risky answer is never shown: it is withheld, the payment is refunded, and the order says why', async () => {
    const user = newUser();
    // Words the local model writes in every answer, but that are not in the question.
    await runtime.faults({ openapi: { riskyWords: ['configured speed'] }, llm: { answerTokens: 120 } });
    const order = await orderAndPay(user);
    const { order: refunded, shown } = await follow(order.orderId, user, (o) => o.status === 'refunded');
    for (const output of shown) expect(output).not.toContain('configured speed');
    expect(refunded.output).toBe('');
    expect(refunded.error).toEqual({ code: 'CONTENT_REFUSED', message: expect.stringContaining('did not pass the content check') });
    expect(refunded.refundedAt).toBeGreaterThanOrEqual(refunded.paidAt);

    const view = await inspectOrder(runtime.url, order.outTradeNo);
    const withheld = view.events.find((e) => e.type === 'content_refused');
    expect(withheld).toMatchObject({ from: 'generating', to: 'refunding', detail: { verdict: { outcome: 'risky', label: 20001 } } });
    expect(view.order).not.toHaveProperty('payerOpenidSealed');
    expect(view.order.output).toBe('');
    expect(view.refunds).toHaveLength(1);
    expect((await checksFor(user)).some((c) => c.suggest === 'risky' && c.keyword === 'configured speed')).toBe(true);
  });

  test('when the check of the answer is unavailable, the answer is withheld and refunded (fail closed)', async () => {
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name three teas' }, user);
    expect(created.ok).toBe(true);
    await runtime.faults({ openapi: { msgSecCheckError: 1 } });
    expect((await runtime.pay(created.order.outTradeNo)).ok).toBe(true);
    const { order: refunded, shown } = await follow(created.order.orderId, user, (o) => o.status === 'refunded');
    expect(shown.every((output) => output === '')).toBe(true);
    expect(refunded.error.code).toBe('CONTENT_UNCHECKED');
    const view = await inspectOrder(runtime.url, created.order.outTradeNo);
    expect(view.events.find((e) => e.type === 'content_unchecked')?.detail?.verdict).toMatchObject({ outcome: 'unavailable', errCode: -1 });
    // Nothing was shipped for a refunded order.
    expect((await shippingRecords()).some((r) => r.orderKey.out_trade_no === created.order.outTradeNo || r.key.endsWith(String(view.order.transactionId)))).toBe(false);
  });
  test('an answer sent for review is withheld and refunded: nobody reviews it before the user reads it', async () => {
    const user = newUser();
    await runtime.faults({ openapi: { reviewWords: ['configured speed'] }, llm: { answerTokens: 120 } });
    const order = await orderAndPay(user);
    const { order: refunded, shown } = await follow(order.orderId, user, (o) => o.status === 'refunded');
    for (const output of shown) expect(output).not.toContain('configured speed');
    expect(refunded.error.code).toBe('CONTENT_REFUSED');
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.events.find((e) => e.type === 'content_refused')?.detail?.verdict).toMatchObject({ outcome: 'review', label: 21000 });
  });

  test('61010 on the answer withholds and refunds it, without asking again in vain', async () => {
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name three teas' }, user);
    expect(created.ok).toBe(true);
    await runtime.faults({ openapi: { userAccessExpired: 1 } });
    expect((await runtime.pay(created.order.outTradeNo)).ok).toBe(true);
    const { order: refunded } = await follow(created.order.orderId, user, (o) => o.status === 'refunded');
    expect(refunded.error.code).toBe('CONTENT_UNCHECKED');
    const view = await inspectOrder(runtime.url, created.order.outTradeNo);
    expect(view.events.find((e) => e.type === 'content_unchecked')?.detail).toMatchObject({ verdict: { outcome: 'unavailable', errCode: 61010 }, contentChecks: 1 });
  });
});

describe('shipping information (发货信息管理)', () => {
  test('a completed order is uploaded as a virtual good, with an audit event, and its sealed openid is then erased', async () => {
    const user = newUser();
    const order = await orderAndPay(user);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    // The audit event follows the upload's record in the same invocation: wait for both.
    const view = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.order.shipping?.status === 'uploaded' && v.events.some((e) => e.type === 'shipping_uploaded'));
    expect(view.order.shipping).toMatchObject({ status: 'uploaded', attempts: 1 });
    expect(view.order).not.toHaveProperty('payerOpenidSealed');
    expect(view.events.filter((e) => e.type === 'shipping_uploaded')).toEqual([expect.objectContaining({ detail: { attempt: 1, by: 'completion' } })]);
    const record = (await shippingRecords()).find((r) => r.key === `tx:${view.order.transactionId}`);
    expect(record).toMatchObject({ orderKey: { order_number_type: 2, transaction_id: view.order.transactionId }, logisticsType: 3, deliveryMode: 1 });
    expect(record?.shippingList).toEqual([{ item_desc: view.order.description }]);
  });

  test('a failed upload is recorded, and reconcile uploads it again', async () => {
    const user = newUser();
    await runtime.faults({ openapi: { shippingUploadError: 1 } });
    const order = await orderAndPay(user);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    let view = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.order.shipping?.status === 'failed' && v.events.some((e) => e.type === 'shipping_upload_failed'));
    expect(view.order.shipping).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('errCode -1') });
    expect(view.order.payerOpenidSealed).toEqual(expect.any(String));
    expect(view.events.filter((e) => e.type === 'shipping_upload_failed')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ attempt: 1, by: 'completion', errCode: -1 }) })]);

    // Still failing: reconcile tries, records it, and keeps the order for later.
    const again = await runtime.trigger('reconcile');
    expect(again.shippingFailed).toBeGreaterThanOrEqual(1);
    view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order.shipping).toMatchObject({ status: 'failed', attempts: 2 });

    await runtime.faults({ reset: true });
    await sleep(10);
    const report = await runtime.trigger('reconcile');
    expect(report.shippingUploaded).toBeGreaterThanOrEqual(1);
    view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order.shipping).toMatchObject({ status: 'uploaded', attempts: 3 });
    expect(view.order).not.toHaveProperty('payerOpenidSealed');
    const attempts = view.events.filter((e) => e.type.startsWith('shipping_')).map((e) => [e.type, e.detail.attempt, e.detail.by]);
    expect(attempts).toEqual([
      ['shipping_upload_failed', 1, 'completion'],
      ['shipping_upload_failed', 2, 'reconcile'],
      ['shipping_uploaded', 3, 'reconcile'],
    ]);
    expect((await shippingRecords()).filter((r) => r.key === `tx:${view.order.transactionId}`)).toHaveLength(1);
    // Done: later runs leave it alone.
    await runtime.trigger('reconcile');
    expect((await inspectOrder(runtime.url, order.outTradeNo)).order.shipping.attempts).toBe(3);
  });
});
