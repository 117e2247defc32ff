import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from './support/runtime';

let runtime: LocalRuntime;
let userCounter = 0;
const newUser = () => `flow-user-${process.pid}-${++userCounter}`;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '100' });
});
afterAll(async () => {
  await runtime.stop();
});

async function createPaidOrder(user: string, prompt = 'Write a haiku about tea') {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt }, user);
  expect(created.ok).toBe(true);
  return created.order as { orderId: string; outTradeNo: string; amountFen: number };
}

describe('paying for an answer', () => {
  test('a paid order streams the model answer to completion through getOrder', async () => {
    const user = newUser();
    const order = await createPaidOrder(user);
    expect(order.amountFen).toBe(50);
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    const seen: string[] = [];
    const done = await runtime.waitForOrder(order.orderId, (o) => {
      seen.push(o.output as string);
      return o.status === 'completed';
    }, user);
    expect(done.outputComplete).toBe(true);
    expect(done.output).toMatch(/^About "Write a haiku about tea"/);
    // The page saw the answer grow: partial outputs before the complete one.
    expect(seen.some((text) => text.length > 0 && text.length < (done.output as string).length)).toBe(true);
    expect(done.paidAt).toBeGreaterThanOrEqual(done.createdAt);
    expect(done.completedAt).toBeGreaterThanOrEqual(done.paidAt);
  });

  test('paying through the simulator (cloud pay) needs no WeChat Pay API v3 keys, and the runtime makes none', async () => {
    const user = newUser();
    const order = await createPaidOrder(user);
    expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(order.orderId, (o) => o.status === 'completed', user);
    expect(existsSync(join(runtime.dataDir, 'wechatpay-keys.json'))).toBe(false);
  });

  test('the price comes from the tier, whatever the client sends', async () => {
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'hi', amountFen: 1, priceFen: 1, status: 'paid', openid: 'someone-else' }, user);
    expect(created.ok).toBe(true);
    expect(created.order.amountFen).toBe(50);
    expect(created.order.status).toBe('pending_payment');
    const mine = await runtime.call('getOrder', { orderId: created.order.orderId }, user);
    expect(mine.ok).toBe(true);
    const theirs = await runtime.call('getOrder', { orderId: created.order.orderId }, 'someone-else');
    expect(theirs.ok).toBe(false);
  });

  test('a second order while one awaits payment answers ACTIVE_PAYMENT_EXISTS with the pending order', async () => {
    const user = newUser();
    const first = await createPaidOrder(user);
    const second = await runtime.call('createOrder', { tier: 'expert', prompt: 'another question' }, user);
    expect(second.ok).toBe(false);
    expect(second.error.code).toBe('ACTIVE_PAYMENT_EXISTS');
    expect(second.error.order.orderId).toBe(first.orderId);
    expect(second.error.payment.package).toMatch(/^prepay_id=/);
    // Once the pending order is cancelled, a new one can be made.
    const cancelled = await runtime.call('cancelOrder', { orderId: first.orderId }, user);
    expect(cancelled.ok).toBe(true);
    expect(cancelled.order.status).toBe('closed');
    const third = await runtime.call('createOrder', { tier: 'expert', prompt: 'another question' }, user);
    expect(third.ok).toBe(true);
  });

  test('two createOrder calls at the same moment leave one pending order', async () => {
    const user = newUser();
    const answers = await Promise.all([1, 2, 3].map((n) => runtime.call('createOrder', { tier: 'quick', prompt: `question ${n}` }, user)));
    expect(answers.filter((a) => a.ok)).toHaveLength(1);
    expect(answers.filter((a) => !a.ok && a.error.code === 'ACTIVE_PAYMENT_EXISTS')).toHaveLength(2);
  });

  test("another user's order is NOT_FOUND for reading and cancelling", async () => {
    const owner = newUser();
    const order = await createPaidOrder(owner);
    for (const name of ['getOrder', 'cancelOrder']) {
      const answer = await runtime.call(name, { orderId: order.orderId }, newUser());
      expect(answer).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no such order' } });
    }
    const still = await runtime.call('getOrder', { orderId: order.orderId }, owner);
    expect(still.order.status).toBe('pending_payment');
  });

  test('a user sees only their own orders, newest first, page by page', async () => {
    const user = newUser();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const order = await createPaidOrder(user, `question ${i}`);
      ids.push(order.orderId);
      await runtime.call('cancelOrder', { orderId: order.orderId }, user);
    }
    await createPaidOrder(newUser());
    const first = await runtime.call('listOrders', { limit: 2 }, user);
    expect(first.orders.map((o: { orderId: string }) => o.orderId)).toEqual([ids[2], ids[1]]);
    expect(typeof first.nextCursor).toBe('string');
    const second = await runtime.call('listOrders', { limit: 2, cursor: first.nextCursor }, user);
    expect(second.orders.map((o: { orderId: string }) => o.orderId)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
  });
});

describe('bad input', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['an empty prompt', { tier: 'quick', prompt: '' }, 'INVALID_INPUT'],
    ['a blank prompt', { tier: 'quick', prompt: '   \n ' }, 'INVALID_INPUT'],
    ['a prompt that is not text', { tier: 'quick', prompt: 42 }, 'INVALID_INPUT'],
    ['a prompt that is an object', { tier: 'quick', prompt: { toString: 'x' } }, 'INVALID_INPUT'],
    ['a prompt over the tier limit', { tier: 'quick', prompt: '字'.repeat(501) }, 'PROMPT_TOO_LONG'],
    ['a huge prompt', { tier: 'quick', prompt: 'x'.repeat(300_000) }, 'PROMPT_TOO_LONG'],
    ['an unknown tier', { tier: 'platinum', prompt: 'hello' }, 'UNKNOWN_TIER'],
    ['a missing tier', { prompt: 'hello' }, 'INVALID_INPUT'],
  ];

  test.each(cases)('%s gets a typed error and stores nothing', async (_label, data, code) => {
    const user = newUser();
    const answer = await runtime.call('createOrder', data, user);
    expect(answer.ok).toBe(false);
    expect(answer.error.code).toBe(code);
    expect(typeof answer.error.message).toBe('string');
    const list = await runtime.call('listOrders', {}, user);
    expect(list.orders).toEqual([]);
    // Nothing was locked either: the user can order right away.
    expect((await runtime.call('createOrder', { tier: 'quick', prompt: 'fine' }, user)).ok).toBe(true);
  });

  test('getOrder without an order id is INVALID_INPUT', async () => {
    const answer = await runtime.call('getOrder', { orderId: 17 });
    expect(answer.ok).toBe(false);
    expect(answer.error.code).toBe('INVALID_INPUT');
  });

  test('functions the page may not call answer FORBIDDEN to it, and unknown functions do not exist', async () => {
    for (const name of ['payCallback', 'generate', 'reconcile', 'refundCallback']) {
      const { status, json } = await runtime.post<{ result?: { ok: boolean; error?: { code: string } } }>(`/api/functions/${name}`, { data: {} });
      expect({ name, status, code: json.result?.error?.code }).toEqual({ name, status: 200, code: 'FORBIDDEN' });
    }
    expect((await runtime.post('/api/functions/nonexistent', { data: {} })).status).toBe(404);
  });
});
