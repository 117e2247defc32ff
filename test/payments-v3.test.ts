import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from './support/runtime';
import {
  buildNotification,
  eventTypes,
  inspectOrder,
  otherRsaKey,
  paySignValid,
  postRaw,
  readV3Keys,
  refundResource,
  transactionResource,
  waitForInspection,
  type V3Keys,
} from './support/wechatpayV3';

let runtime: LocalRuntime;
let keys: V3Keys;
// A second platform key (e.g. the old certificate during the move to the WeChat Pay public key).
const rotationKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ROTATION_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
let userCounter = 0;
const newUser = () => `v3-user-${process.pid}-${++userCounter}`;

beforeAll(async () => {
  runtime = await LocalRuntime.quick({
    PAY_MODE: 'v3',
    ORDER_TTL_SECONDS: '600',
    RATE_LIMIT_PER_MINUTE: '100',
    PAYMENT_GRACE_SECONDS: '0',
    WECHATPAY_PLATFORM_CERT_SERIAL: ROTATION_SERIAL,
    WECHATPAY_PLATFORM_CERT: rotationKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  keys = readV3Keys(runtime.dataDir);
});
afterAll(async () => {
  await runtime.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

async function newOrder(user = newUser(), subscribe = false) {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Explain tea in one line', subscribe }, user);
  expect(created.ok).toBe(true);
  return { user, order: created.order as { orderId: string; outTradeNo: string; amountFen: number }, payment: created.payment };
}

const unchanged = async (outTradeNo: string, before: { order: unknown; events: unknown }) => {
  const after = await inspectOrder(runtime.url, outTradeNo);
  expect(after.order).toEqual(before.order);
  expect(after.events).toEqual(before.events);
};

describe('WeChat Pay API v3 against the local simulator', () => {
  test('createOrder returns RSA-signed wx.requestPayment parameters for the v3 prepay order', async () => {
    const { order, payment } = await newOrder();
    expect(payment.signType).toBe('RSA');
    expect(payment.package).toMatch(/^prepay_id=wx[0-9a-f]+$/);
    expect(paySignValid(keys, payment)).toBe(true);
    expect(paySignValid(keys, { ...payment, nonceStr: `${payment.nonceStr}x` })).toBe(false);
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    // The provider's expiry is the order's own (whole seconds, never later): reconcile closes what WeChat no longer takes.
    expect(view.trade?.channel).toBe('v3');
    expect(view.trade?.expiresAt).toBeLessThanOrEqual(view.order.expiresAt);
    expect(view.order.expiresAt - (view.trade?.expiresAt as number)).toBeLessThan(1000);
    expect(view.trade?.description).toBe('AI快速回答');
  });

  test('a paid order is confirmed by the signed, encrypted notification and completes; tampered copies change nothing', async () => {
    await runtime.faults({ pay: { tamper: 1, duplicate: 1 } });
    const { user, order } = await newOrder();
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    // Watched without getOrder, which would ask the provider itself (the grace period is 0 here).
    const view = await waitForInspection(runtime.url, order.outTradeNo, (v) => typeof v.trade?.notifiedAt === 'number' && v.order.status !== 'pending_payment' && eventTypes(v).includes('payment_confirmed'));
    const done = await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    expect(done.outputComplete).toBe(true);
    expect(eventTypes(view).filter((type) => type === 'payment_confirmed')).toHaveLength(1);
    expect(view.events.find((e) => e.type === 'payment_confirmed')?.detail).toEqual({ source: 'v3_notification' });
    await runtime.untilOutputShows(/"v3_notification_rejected","at":"[^"]+","reason":"bad_signature"/);
    expect(runtime.output).toMatch(/"v3_notification_rejected","at":"[^"]+","reason":"bad_signature"/);
  });

  test('bad notifications are each refused with FAIL and change nothing; a valid one is accepted once with 204', async () => {
    const { order, user } = await newOrder();
    const before = await inspectOrder(runtime.url, order.outTradeNo);
    expect(before.order.status).toBe('pending_payment');
    const honest = transactionResource(keys, order.outTradeNo, order.amountFen);
    const valid = buildNotification(keys, { resource: honest });
    const cases: [string, ReturnType<typeof buildNotification>, number][] = [
      ['a bad signature', { ...valid, headers: { ...valid.headers, 'Wechatpay-Signature': buildNotification(keys, { resource: honest }).headers['Wechatpay-Signature'] as string } }, 401],
      ['a body changed after signing', { ...valid, body: valid.body.replace('"summary":"test"', '"summary":"tent"') }, 401],
      ['a signature by another key', buildNotification(keys, { resource: honest, signingKey: otherRsaKey() }), 401],
      ["the second platform key under the first key's serial", buildNotification(keys, { resource: honest, signingKey: rotationKey.privateKey }), 401],
      ['an unknown platform serial', buildNotification(keys, { resource: honest, serial: 'PUB_KEY_ID_UNKNOWN' }), 401],
      ['a signature-test probe', buildNotification(keys, { resource: honest, signature: 'WECHATPAY/SIGNTEST/9f86d081884c7d65' }), 401],
      ['a stale timestamp', buildNotification(keys, { resource: honest, timestamp: Math.floor(Date.now() / 1000) - 301 }), 401],
      ['a timestamp from the future', buildNotification(keys, { resource: honest, timestamp: Math.floor(Date.now() / 1000) + 400 }), 401],
      ['a resource encrypted with the wrong API v3 key', buildNotification(keys, { resource: honest, apiV3Key: 'x'.repeat(32) }), 400],
      ['a corrupted ciphertext', buildNotification(keys, { resource: honest, corruptCiphertext: true }), 400],
      ['another merchant', buildNotification(keys, { resource: { ...honest, mchid: '1230000109' } }), 400],
    ];
    for (const [label, notification, status] of cases) {
      const answer = await postRaw(runtime.url, notification);
      expect({ label, status: answer.status }).toEqual({ label, status });
      expect(answer.contentType).toMatch(/^application\/json/);
      const body = JSON.parse(answer.text) as { code: string; message: string };
      expect(body.code).toBe('FAIL');
      expect(typeof body.message).toBe('string');
      await unchanged(order.outTradeNo, before);
    }
    // Signed by WeChat, yet another amount: the one rule for evidence that does not fit the order
    // (core/payments/evidence.ts): never believed, recorded for the operator, and acknowledged,
    // since WeChat sending it again could change nothing.
    const wrongAmount = await postRaw(runtime.url, buildNotification(keys, { resource: transactionResource(keys, order.outTradeNo, order.amountFen + 1) }));
    expect(wrongAmount.status).toBe(204);
    const afterWrongAmount = await inspectOrder(runtime.url, order.outTradeNo);
    expect(afterWrongAmount.order).toEqual(before.order);
    expect(eventTypes(afterWrongAmount)).toEqual([...eventTypes(before), 'amount_mismatch']);
    await runtime.untilOutputShows('"payment_amount_mismatch"');
    expect(runtime.output).toContain('"payment_amount_mismatch"');

    const accepted = await postRaw(runtime.url, valid);
    expect(accepted.status).toBe(204);
    expect(accepted.text).toBe('');
    const done = await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    expect(done.paidAt).toBeGreaterThan(0);
    const settled = await inspectOrder(runtime.url, order.outTradeNo);
    expect(eventTypes(settled).filter((type) => type === 'payment_confirmed')).toHaveLength(1);

    // The very same request again is a replay: refused, nothing changed.
    const replay = await postRaw(runtime.url, valid);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.text)).toEqual({ code: 'FAIL', message: 'replayed_nonce' });
    await unchanged(order.outTradeNo, settled);
    // WeChat's own retry (signed anew) is acknowledged, and changes nothing either.
    const retry = await postRaw(runtime.url, buildNotification(keys, { resource: honest }));
    expect(retry.status).toBe(204);
    await unchanged(order.outTradeNo, settled);
  });

  test('a notification signed with the second configured platform key, under its own serial, is accepted', async () => {
    const { order, user } = await newOrder();
    const notification = buildNotification(keys, { resource: transactionResource(keys, order.outTradeNo, order.amountFen), signingKey: rotationKey.privateKey, serial: ROTATION_SERIAL });
    expect((await postRaw(runtime.url, notification)).status).toBe(204);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
  });
});

describe('refunds over API v3', () => {
  test('a failed answer is refunded exactly once even when the refund notification comes many times', async () => {
    await runtime.faults({ llm: { error: 1 }, pay: { duplicate: 1 } });
    const { user, order } = await newOrder(newUser(), true);
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    const refunded = await runtime.waitForOrder(order.orderId, (o) => o.status === 'refunded', user);
    expect(refunded.error.code).toBe('GENERATION_FAILED');
    // Let every duplicate arrive, then count.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.refunds).toHaveLength(1);
    expect(view.refunds[0]).toMatchObject({ outRefundNo: `R${order.outTradeNo}`, refundFen: order.amountFen, state: 'SUCCESS', requests: 1 });
    expect(eventTypes(view).filter((type) => type === 'refund_confirmed')).toHaveLength(1);
    expect(eventTypes(view).filter((type) => type === 'subscribe_message_sent')).toHaveLength(1);
  });

  test('a lost refund notification is found by reconcile, still one refund', async () => {
    // drop=1 loses the payment notification too: the page's own query (after the grace period) finds the payment.
    // The refund settles after 1.5 s, so the query the refund request makes at once still finds it in
    // progress however slow this machine is, and only reconcile can find it paid out.
    await runtime.faults({ llm: { error: 1 }, pay: { drop: 1, refundSettleMs: 1_500 } });
    const { user, order } = await newOrder();
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'refunding', user);
    const waiting = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.refunds[0]?.state === 'SUCCESS' && v.refunds[0]?.notificationDropped === true);
    expect(waiting.order.status).toBe('refunding');
    const report = await runtime.trigger('reconcile');
    expect(report.refundsChecked).toBeGreaterThanOrEqual(1);
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order.status).toBe('refunded');
    expect(view.refunds).toHaveLength(1);
    expect(view.refunds[0]?.requests).toBe(1);
    expect(view.events.find((e) => e.type === 'refund_confirmed')?.detail).toEqual({ source: 'query_refund' });
  });

  test.each([-1, 1.5, '50'])('a refund settle time of %j is refused with what it must be, and nothing changes', async (value) => {
    const before = await runtime.get<{ pay: { refundSettleMs: number } }>('/api/faults');
    const { status, json } = await runtime.post<{ errMsg: string }>('/api/faults', { pay: { refundSettleMs: value } });
    expect({ status, errMsg: json.errMsg }).toEqual({ status: 400, errMsg: 'pay.refundSettleMs must be a whole number of ms from 0 to 600000' });
    expect((await runtime.get<{ pay: { refundSettleMs: number } }>('/api/faults')).pay.refundSettleMs).toBe(before.pay.refundSettleMs);
  });

  test('a refund the provider rejects is surfaced (audit + error log) each time and retried by reconcile with the same number', async () => {
    await runtime.faults({ llm: { error: 1 }, pay: { refundReject: 1 } });
    const { user, order } = await newOrder();
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'refunding', user);
    const rejected = await waitForInspection(runtime.url, order.outTradeNo, (v) => eventTypes(v).includes('refund_rejected'));
    expect(rejected.order.refund).toMatchObject({ outRefundNo: `R${order.outTradeNo}`, status: 'rejected' });
    expect(rejected.refunds).toHaveLength(0);
    await runtime.untilOutputShows(`"refund_rejected_needs_operator","at":`);
    expect(runtime.output).toContain(`"refund_rejected_needs_operator","at":`);
    await runtime.untilOutputShows(`"orderId":"${order.orderId}","outRefundNo":"R${order.outTradeNo}"`);
    expect(runtime.output).toContain(`"orderId":"${order.orderId}","outRefundNo":"R${order.outTradeNo}"`);

    await runtime.trigger('reconcile');
    const again = await inspectOrder(runtime.url, order.outTradeNo);
    expect(eventTypes(again).filter((type) => type === 'refund_rejected')).toHaveLength(2);
    expect(again.order.status).toBe('refunding');

    await runtime.faults({ pay: { refundReject: 0 } });
    await runtime.trigger('reconcile');
    const view = await waitForInspection(runtime.url, order.outTradeNo, (v) => v.order.status === 'refunded');
    expect(view.refunds).toHaveLength(1);
    expect(view.refunds[0]?.outRefundNo).toBe(`R${order.outTradeNo}`);
  });

  test('REFUND.ABNORMAL is surfaced to the operator and does not mark the order refunded', async () => {
    await runtime.faults({ llm: { error: 1 }, pay: { refundReject: 1 } });
    const { user, order } = await newOrder();
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'refunding', user);
    await waitForInspection(runtime.url, order.outTradeNo, (v) => eventTypes(v).includes('refund_rejected'));
    const abnormal = buildNotification(keys, { eventType: 'REFUND.ABNORMAL', resource: refundResource(keys, order.outTradeNo, order.amountFen, 'ABNORMAL') });
    expect((await postRaw(runtime.url, abnormal)).status).toBe(204);
    const view = await inspectOrder(runtime.url, order.outTradeNo);
    expect(view.order.status).toBe('refunding');
    expect(view.events.find((e) => e.type === 'refund_abnormal')?.detail).toMatchObject({ state: 'ABNORMAL', source: 'v3_refund_notification' });
    await runtime.untilOutputShows('"refund_abnormal_needs_operator"');
    expect(runtime.output).toContain('"refund_abnormal_needs_operator"');
  });

  test('signed refund notifications about a refund that never existed are acknowledged and change nothing', async () => {
    // A cancelled order that was never paid, and a completed one that was never refunded.
    const cancelled = await newOrder();
    expect((await runtime.call('cancelOrder', { orderId: cancelled.order.orderId }, cancelled.user)).order.status).toBe('closed');
    const completed = await newOrder();
    expect((await runtime.pay(completed.order.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(completed.order.orderId, (o) => o.status === 'completed', completed.user);
    for (const { order } of [cancelled, completed]) {
      const before = await inspectOrder(runtime.url, order.outTradeNo);
      // ABNORMAL and CLOSED first: they used to leave a refund record behind that SUCCESS then "confirmed".
      for (const [eventType, state] of [['REFUND.ABNORMAL', 'ABNORMAL'], ['REFUND.CLOSED', 'CLOSED'], ['REFUND.SUCCESS', 'SUCCESS']] as const) {
        const notification = buildNotification(keys, { eventType, resource: refundResource(keys, order.outTradeNo, order.amountFen, state) });
        expect((await postRaw(runtime.url, notification)).status).toBe(204);
      }
      await unchanged(order.outTradeNo, before);
      expect(before.order.refund).toBeUndefined();
      // Logged, but raised to no operator.
      const alerts = runtime.output.split('\n').filter((line) => line.includes('refund_abnormal_needs_operator') && line.includes(order.orderId));
      expect(alerts).toEqual([]);
    }
    await runtime.untilOutputShows('"v3_refund_for_unknown_refund"');
    expect(runtime.output).toContain('"v3_refund_for_unknown_refund"');
  });
});

describe('API v3 configuration', () => {
  test('PAY_MODE=v3 refuses an order lifetime under a minute, with a clear message, and creates nothing', async () => {
    const shortLived = await LocalRuntime.start({ PAY_MODE: 'v3', ORDER_TTL_SECONDS: '30' });
    try {
      const answer = await shortLived.call('createOrder', { tier: 'quick', prompt: 'hi' }, 'ttl-user');
      expect(answer).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
      await shortLived.untilOutputShows('ORDER_TTL_SECONDS must be ≥ 70');
      expect(shortLived.output).toContain('ORDER_TTL_SECONDS must be ≥ 70');
      const orders = join(shortLived.dataDir, 'functions', 'orders.db');
      expect(existsSync(orders) ? readFileSync(orders, 'utf8').trim() : '').toBe('');
    } finally {
      await shortLived.stop();
    }
  });
});
