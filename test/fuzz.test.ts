import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { checkInvariants, invariantCounts, NO_VIOLATIONS } from '../bench/invariants';
import { readStore } from '../bench/store';
import { LocalRuntime } from './support/runtime';
import { inspectOrder, waitForInspection } from './support/wechatpayV3';

// Generated inputs against a running runtime: every client-callable function and both payment
// notification entries. Only typed errors come back, nothing is stored, and the runtime keeps serving.
jest.setTimeout(120_000);

// Runs per property. Each run is a real invocation (or two) through the runtime, so 60 keeps the
// suite short; fast-check draws a new seed on every run of the suite (and prints it on a failure),
// so CI covers new inputs each time. A deeper search: FUZZ_RUNS=1000 npx jest test/fuzz.test.ts
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`FUZZ_RUNS must be a positive whole number, not ${process.env.FUZZ_RUNS}`);
const TYPED_CODES = ['INVALID_INPUT', 'PROMPT_TOO_LONG', 'UNKNOWN_TIER', 'ACTIVE_PAYMENT_EXISTS', 'RATE_LIMITED', 'PAYMENT_UNAVAILABLE', 'NOT_FOUND', 'INVALID_STATE'];
const CLIENT_FUNCTIONS = ['createOrder', 'getOrder', 'listOrders', 'cancelOrder', 'listTiers'] as const;

const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '$where', '$set', 'status', 'openid', 'OPENID', 'userHash', 'amountFen', 'priceFen', '_id'];
const FIELD_KEYS = ['tier', 'prompt', 'subscribe', 'orderId', 'waitMs', 'knownRev', 'cursor', 'limit'];
const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uD800',
  '\uDFFF\uD800',
  '\u202E\u0645\u0631\u062D\u0628\u0627',
  '\u200B\u200D\uFEFF',
  '👩‍👩‍👧‍👦'.repeat(50),
  'e\u0301'.repeat(300),
  '字'.repeat(2001),
  'x'.repeat(200_000),
  'quick',
  'expert',
  '__proto__',
  '{"$ne":null}',
  'o' + 'A'.repeat(23),
  '../../etc/passwd',
];

const text = fc.oneof(
  fc.constantFrom(...EDGE_STRINGS),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ maxLength: 3000 }),
);
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(-1, 0, 2 ** 53, 1e308, -0));
const key = fc.oneof(fc.constantFrom(...POLLUTING_KEYS, ...FIELD_KEYS), fc.string({ maxLength: 12 }));
/** Any JSON value, with keys the functions read, keys that try to pollute prototypes, and odd strings. */
const jsonValue: fc.Arbitrary<unknown> = fc.anything({ key, values: [scalar], maxDepth: 3, maxKeys: 6 });
const payload = fc.oneof(
  jsonValue,
  fc.record({ tier: fc.oneof(fc.constantFrom('quick', 'expert'), scalar), prompt: fc.oneof(text, jsonValue), subscribe: fc.oneof(fc.boolean(), scalar) }, { requiredKeys: [] }),
  fc.record({ orderId: fc.oneof(text, scalar), waitMs: fc.oneof(fc.integer({ min: -10, max: 10 }), scalar), knownRev: scalar, cursor: scalar, limit: scalar }, { requiredKeys: [] }),
);

/** Wraps a value as a request body, sometimes with an own `__proto__` key spelled out in the JSON text. */
function body(data: unknown, pollute: boolean): string {
  const json = JSON.stringify({ data }) ?? '{}';
  if (!pollute || !json.startsWith('{"data":{')) return json;
  const rest = json.slice('{"data":{'.length);
  return `{"data":{"__proto__":{"polluted":true,"status":"paid","amountFen":1}${rest.startsWith('}') ? '' : ','}${rest}`;
}

let runtime: LocalRuntime;
let validOrdersCreated = 0;
/** Orders paid during the replay property, to be seen through to the end before the final check. */
const paidFixtures: { orderId: string; user: string }[] = [];

beforeAll(async () => {
  runtime = await LocalRuntime.start({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '100000', PAYMENT_GRACE_SECONDS: '2' });
  await runtime.faults({ llm: { firstTokenMs: 10, tokensPerSecond: 1000, answerTokens: 10 } });
});
afterAll(async () => {
  await runtime?.stop();
});

async function healthy(): Promise<void> {
  const health = await runtime.get<{ ok: boolean }>('/healthz');
  expect(health.ok).toBe(true);
}

function expectTyped(result: Record<string, unknown>): void {
  expect(typeof result.ok).toBe('boolean');
  if (result.ok === false) {
    const error = result.error as { code: unknown; message: unknown };
    expect(TYPED_CODES).toContain(error.code);
    expect(typeof error.message).toBe('string');
  }
}

describe('client-callable functions with generated input', () => {
  test.each(CLIENT_FUNCTIONS)('%s answers only typed results and stores nothing for bad input', async (name) => {
    await fc.assert(
      fc.asyncProperty(payload, fc.boolean(), async (data, pollute) => {
        const user = `fuzz-${randomBytes(6).toString('hex')}`;
        const { status, json } = await runtime.post<{ result?: Record<string, unknown>; errMsg?: string }>(`/api/functions/${name}`, body(data, pollute), { 'X-WX-OPENID': user });
        if (status === 413) return; // a body over the 1 MB limit is refused before any function runs
        expect(status).toBe(200);
        const result = json.result as Record<string, unknown>;
        expectTyped(result);
        if (name === 'createOrder' && result.ok === true) {
          validOrdersCreated += 1;
          const order = result.order as Record<string, unknown>;
          // Whatever the input said, the price is the tier's and the order waits for payment.
          expect(order.status).toBe('pending_payment');
          expect([50, 499]).toContain(order.amountFen);
          return;
        }
        const mine = await runtime.call<{ ok: boolean; orders: unknown[] }>('listOrders', {}, user);
        expect(mine.orders).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    await healthy();
  });

  test('request bodies that are not JSON objects are refused with 400, and the runtime keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('[]', 'null', '"x"', '{', '{"data":', '1e999', '\u0000')), async (raw) => {
        const { status } = await fetch(`${runtime.url}/api/functions/createOrder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw }).then(async (r) => ({ status: r.status, text: await r.text() }));
        let parsesAsObject: boolean;
        try {
          const parsed: unknown = JSON.parse(raw);
          parsesAsObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
        } catch {
          parsesAsObject = raw.trim() === '';
        }
        expect(status).toBe(parsesAsObject ? 200 : 400);
      }),
      { numRuns: RUNS },
    );
    await healthy();
  });

  test('any caller identity sees only its own (empty) history and cannot reach a stranger’s order', async () => {
    const owner = `fuzz-owner-${randomBytes(4).toString('hex')}`;
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'mine' }, owner);
    expect(created.ok).toBe(true);
    validOrdersCreated += 1;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 128 }).filter((s) => s.trim() === s && s !== owner), async (openid) => {
        for (const name of ['getOrder', 'cancelOrder'] as const) {
          const answer = await runtime.call<{ ok: boolean; error?: { code: string } }>(name, { orderId: created.order.orderId }, openid);
          expect(answer).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no such order' } });
        }
      }),
      { numRuns: 60 },
    );
    const still = await runtime.call('getOrder', { orderId: created.order.orderId }, owner);
    expect(still.order.status).toBe('pending_payment');
  });
});

describe('payment notifications with generated, replayed and reordered input', () => {
  interface Fixture {
    orderId: string;
    outTradeNo: string;
    amountFen: number;
    user: string;
  }
  const order = async (user: string): Promise<Fixture> => {
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: `fuzz notifications ${user}` }, user);
    expect(created.ok).toBe(true);
    validOrdersCreated += 1;
    return { orderId: created.order.orderId, outTradeNo: created.order.outTradeNo, amountFen: created.order.amountFen, user };
  };
  const snapshot = async (f: Fixture) => {
    const answer = await runtime.call('getOrder', { orderId: f.orderId }, f.user);
    return { status: answer.order.status as string, rev: answer.order.rev as number };
  };
  const callback = (fields: Record<string, unknown>) => runtime.post<{ result?: unknown; errMsg?: string }>('/api/triggers/payCallback', { data: fields });

  test('cloud-pay callbacks with generated fields never change an unpaid order or a finished one', async () => {
    const unpaid = await order('fuzz-notify-unpaid');
    const finished = await order('fuzz-notify-finished');
    expect((await runtime.pay(finished.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(finished.orderId, (o) => o.status === 'completed', finished.user);
    const before = { unpaid: await snapshot(unpaid), finished: await snapshot(finished) };
    const outTradeNo = fc.oneof(fc.constantFrom(unpaid.outTradeNo, finished.outTradeNo, unpaid.outTradeNo.toLowerCase(), `${unpaid.outTradeNo} `), text, scalar);
    const event = fc.record(
      {
        returnCode: fc.oneof(fc.constant('SUCCESS'), scalar),
        resultCode: fc.oneof(fc.constant('SUCCESS'), scalar),
        outTradeNo,
        out_trade_no: outTradeNo,
        totalFee: fc.oneof(fc.constantFrom(50, 51, 49, 0, -50, 5000), scalar, jsonValue),
        cashFee: scalar,
        transactionId: fc.oneof(text, scalar),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(event, jsonValue), fc.boolean(), async (fields, pollute) => {
        const { status } = await runtime.post('/api/triggers/payCallback', body(fields, pollute));
        // Acknowledged (200), or an error the platform would retry (500); never anything believed.
        expect([200, 500]).toContain(status);
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot(unpaid)).toEqual(before.unpaid);
    expect(await snapshot(finished)).toEqual(before.finished);
    await healthy();
  });

  test('cloud-pay refund callbacks with generated fields, in any shape, never move an order: only queryRefund does', async () => {
    const unpaid = await order('fuzz-refund-unpaid');
    const completed = await order('fuzz-refund-completed');
    expect((await runtime.pay(completed.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(completed.orderId, (o) => o.status === 'completed', completed.user);
    // Being refunded, but WeChat Pay never got the refund request: no money has gone back yet.
    await runtime.faults({ llm: { error: 1, errorStatus: 503 }, pay: { refundLost: 1 } });
    const owed = await order('fuzz-refund-owed');
    try {
      expect((await runtime.pay(owed.outTradeNo)).ok).toBe(true);
      // Lost, and given up on for now: the call's own retries (core/payments/retryPolicy.ts) are over.
      await waitForInspection(runtime.url, owed.outTradeNo, (v) => v.order.status === 'refunding' && typeof v.order.refund?.lastError === 'string' && v.refunds.length === 0);
    } finally {
      await runtime.faults({ llm: { error: 0 }, pay: { refundLost: 0 } });
    }
    const fixtures = [unpaid, completed, owed];
    const before = await Promise.all(fixtures.map(snapshot));
    const tradeNo = fc.oneof(fc.constantFrom(...fixtures.map((f) => f.outTradeNo)), text, scalar);
    const refundNo = fc.oneof(fc.constantFrom(...fixtures.map((f) => `R${f.outTradeNo}`), `R${owed.outTradeNo.toLowerCase()}`), text, scalar);
    const refundStatus = fc.oneof(fc.constantFrom('SUCCESS', 'REFUNDCLOSE', 'CHANGE', 'PROCESSING'), scalar);
    // camelCase as the one public report shows it, snake_case unconverted, and v2's encrypted req_info (undecryptable here).
    const event = fc.record(
      {
        returnCode: fc.oneof(fc.constant('SUCCESS'), scalar),
        outTradeNo: tradeNo,
        out_trade_no: tradeNo,
        outRefundNo: refundNo,
        out_refund_no: refundNo,
        refundStatus,
        refund_status: refundStatus,
        refundFee: fc.oneof(fc.constantFrom(owed.amountFen, 0), scalar),
        settlementRefundFee: scalar,
        reqInfo: fc.oneof(fc.base64String({ maxLength: 200 }), scalar),
        req_info: fc.base64String({ maxLength: 200 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(event, jsonValue), fc.boolean(), async (fields, pollute) => {
        const { status } = await runtime.post('/api/triggers/refundCallback', body(fields, pollute));
        expect([200, 500]).toContain(status);
      }),
      { numRuns: RUNS },
    );
    expect(await Promise.all(fixtures.map(snapshot))).toEqual(before);
    expect((await inspectOrder(runtime.url, owed.outTradeNo)).refunds).toEqual([]);
    // The refund itself, asked for again by reconcile, is then confirmed once, as it would have been.
    await runtime.trigger('reconcile');
    await runtime.waitForOrder(owed.orderId, (o) => o.status === 'refunded', owed.user);
    await healthy();
  });

  test('genuine notifications replayed many times, concurrently and out of order with tampered ones, pay an order exactly once', async () => {
    await runtime.faults({ pay: { drop: 1 } });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ kind: fc.constantFrom('genuine', 'wrong_amount', 'other_order', 'failed_result'), delayMs: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 12 }),
          async (sequence) => {
            const f = await order(`fuzz-replay-${randomBytes(5).toString('hex')}`);
            const other = await order(`fuzz-replay-other-${randomBytes(5).toString('hex')}`);
            // Paid at the provider; its own notification was dropped, so only these copies arrive.
            expect((await runtime.pay(f.outTradeNo)).ok).toBe(true);
            paidFixtures.push(f);
            const otherBefore = await snapshot(other);
            await Promise.all(
              sequence.map(async ({ kind, delayMs }) => {
                await new Promise((resolve) => setTimeout(resolve, delayMs));
                const base = { returnCode: 'SUCCESS', resultCode: kind === 'failed_result' ? 'FAIL' : 'SUCCESS', transactionId: `4200${Date.now()}` };
                if (kind === 'other_order') return callback({ ...base, outTradeNo: other.outTradeNo, totalFee: other.amountFen });
                return callback({ ...base, outTradeNo: f.outTradeNo, totalFee: kind === 'wrong_amount' ? f.amountFen + 1 : f.amountFen });
              }),
            );
            const genuine = sequence.some((s) => s.kind === 'genuine');
            const after = await snapshot(f);
            // Without a genuine copy the order waits (getOrder or reconcile will ask the provider).
            if (!genuine) expect(after.status).toBe('pending_payment');
            else expect(['paid', 'generating', 'completed']).toContain(after.status);
            // A notification for someone else's unpaid order changes nothing there.
            expect(await snapshot(other)).toEqual(otherBefore);
            await runtime.call('cancelOrder', { orderId: other.orderId }, other.user);
          },
        ),
        // Each run pays an order that is then generated in the background: 20 keep the suite short.
        { numRuns: 20 },
      );
    } finally {
      await runtime.faults({ pay: { drop: 0 } });
    }
    await healthy();
  });

  test('the API v3 notification endpoint refuses generated requests without changing anything', async () => {
    // A runtime in PAY_MODE=v3, so that the real signature and decryption checks answer.
    const v3 = await LocalRuntime.start({ PAY_MODE: 'v3', RATE_LIMIT_PER_MINUTE: '100000' });
    try {
      const user = 'fuzz-v3-unpaid';
      const created = await v3.call('createOrder', { tier: 'quick', prompt: 'fuzz v3 notifications' }, user);
      expect(created.ok).toBe(true);
      const v3Snapshot = async () => {
        const answer = await v3.call('getOrder', { orderId: created.order.orderId }, user);
        return { status: answer.order.status as string, rev: answer.order.rev as number };
      };
      const before = await v3Snapshot();
      const header = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), fc.constantFrom('', 'FORGED', String(Math.floor(Date.now() / 1000)), '0', '99999999999'));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(jsonValue, fc.record({ id: text, event_type: fc.constantFrom('TRANSACTION.SUCCESS', 'REFUND.SUCCESS'), resource_type: fc.constant('encrypt-resource'), resource: fc.record({ algorithm: fc.constant('AEAD_AES_256_GCM'), ciphertext: fc.base64String(), nonce: text, associated_data: text }) })),
          fc.record({ 'Wechatpay-Serial': header, 'Wechatpay-Timestamp': header, 'Wechatpay-Nonce': header, 'Wechatpay-Signature': header }, { requiredKeys: [] }),
          async (notification, headers) => {
            const safeHeaders = Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)));
            const { status, json } = await v3.post<{ code?: string; message?: string }>('/api/notify/wechatpay', JSON.stringify(notification) ?? 'null', safeHeaders);
            expect(status).toBeGreaterThanOrEqual(400);
            expect(status).not.toBe(404);
            expect(json.code).toBe('FAIL');
            expect(typeof json.message).toBe('string');
          },
        ),
        { numRuns: RUNS },
      );
      expect(await v3Snapshot()).toEqual(before);
      expect((await v3.get<{ ok: boolean }>('/healthz')).ok).toBe(true);
    } finally {
      await v3.stop();
    }
  });
});

test('after all of it: only the deliberately created orders exist, and no money invariant is broken', async () => {
  // The runtime still serves a normal purchase.
  const user = `fuzz-final-${randomBytes(4).toString('hex')}`;
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'still working?' }, user);
  expect(created.ok).toBe(true);
  validOrdersCreated += 1;
  expect((await runtime.pay(created.order.outTradeNo)).ok).toBe(true);
  await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', user);
  // Paid orders whose every notification was tampered or dropped are found by the page asking the
  // provider (after its grace period) and then finish like any other.
  for (const fixture of paidFixtures) {
    await runtime.waitForOrder(fixture.orderId, (o) => o.status === 'completed' || o.status === 'refunded', fixture.user);
  }
  await runtime.stop();
  const store = await readStore(runtime.dataDir);
  expect(store.orders).toHaveLength(validOrdersCreated);
  for (const order of store.orders) {
    expect(Object.keys(order)).not.toContain('polluted');
    expect([50, 499]).toContain(order.amountFen);
  }
  expect(invariantCounts(checkInvariants(store))).toEqual(NO_VIOLATIONS);
});
