import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStore } from '../bench/store';
import { LocalRuntime } from './support/runtime';

// Who may see and do what: a user reaches only their own orders and notifications, and nothing a
// client sends sets a price, an identity or a status.
let runtime: LocalRuntime;
let counter = 0;
const newUser = () => `access-user-${process.pid}-${++counter}`;

beforeAll(async () => {
  runtime = await LocalRuntime.start({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '1000' });
  await runtime.faults({ llm: { firstTokenMs: 20, tokensPerSecond: 500, answerTokens: 12 } });
});
afterAll(async () => {
  await runtime?.stop();
});

async function order(user: string, data: Record<string, unknown> = {}) {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'a question', ...data }, user);
  expect(created.ok).toBe(true);
  return created.order as { orderId: string; outTradeNo: string; amountFen: number; status: string; rev: number };
}

describe('one user and another', () => {
  test("another user's order cannot be read, waited on or cancelled, by its id or its payment number", async () => {
    const owner = newUser();
    const stranger = newUser();
    const mine = await order(owner);
    const notFound = { ok: false, error: { code: 'NOT_FOUND', message: 'no such order' } };
    expect(await runtime.call('getOrder', { orderId: mine.orderId }, stranger)).toEqual(notFound);
    expect(await runtime.call('getOrder', { orderId: mine.orderId, waitMs: 500 }, stranger)).toEqual(notFound);
    expect(await runtime.call('cancelOrder', { orderId: mine.orderId }, stranger)).toEqual(notFound);
    // Naming the owner in the request changes nothing: the caller is who WeChat says it is.
    expect(await runtime.call('getOrder', { orderId: mine.orderId, openid: owner, OPENID: owner, userHash: owner }, stranger)).toEqual(notFound);
    expect(await runtime.call('cancelOrder', { orderId: mine.outTradeNo }, stranger)).toEqual(notFound);
    const list = await runtime.call('listOrders', { openid: owner, userHash: owner, limit: 50 }, stranger);
    expect(list.orders).toEqual([]);
    const still = await runtime.call('getOrder', { orderId: mine.orderId }, owner);
    expect(still.order.status).toBe('pending_payment');
    expect(still.order.rev).toBe(mine.rev);
  });

  test("a user's subscribe message goes only to that user, about that user's order", async () => {
    const alice = newUser();
    const bob = newUser();
    const carol = newUser();
    const aliceOrder = await order(alice, { tier: 'expert', subscribe: true });
    const bobOrder = await order(bob, { tier: 'expert', subscribe: true });
    // Carol did not subscribe: she gets no message, and nobody gets one about her order.
    const carolOrder = await order(carol, { tier: 'expert' });
    for (const [o, user] of [[aliceOrder, alice], [bobOrder, bob], [carolOrder, carol]] as const) {
      expect((await runtime.pay(o.outTradeNo)).ok).toBe(true);
      await runtime.waitForOrder(o.orderId, (x) => x.status === 'completed', user);
    }
    const { messages } = await runtime.get<{ messages: { touser: string; page: string }[] }>('/api/messages');
    const about = (orderId: string) => messages.filter((m) => m.page.endsWith(`orderId=${orderId}`));
    expect(about(aliceOrder.orderId).map((m) => m.touser)).toEqual([alice]);
    expect(about(bobOrder.orderId).map((m) => m.touser)).toEqual([bob]);
    expect(about(carolOrder.orderId)).toEqual([]);
    expect(messages.filter((m) => m.touser === carol)).toEqual([]);
  });

  test('a caller who names another user in the data still orders as themselves', async () => {
    const caller = newUser();
    const victim = newUser();
    const created = await order(caller, { openid: victim, OPENID: victim, userHash: victim, _openid: victim });
    expect((await runtime.call('listOrders', {}, victim)).orders).toEqual([]);
    const own = await runtime.call('listOrders', {}, caller);
    expect(own.orders.map((o: { orderId: string }) => o.orderId)).toEqual([created.orderId]);
    // The victim can still order: the caller's pending order holds only the caller's payment slot.
    await order(victim);
  });
});

describe('what a client can never set', () => {
  test('price, status, identity, order numbers and output come from the server', async () => {
    const user = newUser();
    const created = await order(user, {
      amountFen: 1,
      priceFen: 1,
      totalFee: 1,
      price: 0,
      status: 'completed',
      outputComplete: true,
      output: 'forged answer',
      _id: 'o-chosen-by-client',
      orderId: 'o-chosen-by-client',
      outTradeNo: 'AICHOSENBYCLIENT0000000000000000',
      paidAt: 1,
      tier: 'quick',
    });
    expect(created.amountFen).toBe(50);
    expect(created.status).toBe('pending_payment');
    expect(created.orderId).not.toBe('o-chosen-by-client');
    expect(created.outTradeNo).not.toBe('AICHOSENBYCLIENT0000000000000000');
    const seen = await runtime.call('getOrder', { orderId: created.orderId, status: 'paid', amountFen: 1 }, user);
    expect(seen.order).toMatchObject({ status: 'pending_payment', amountFen: 50, output: '', outputComplete: false });
    expect(seen.order.paidAt).toBeUndefined();
  });

  test('a paid order cannot be cancelled, and cancelling never moves it to any other status', async () => {
    const user = newUser();
    const paid = await order(user);
    expect((await runtime.pay(paid.outTradeNo)).ok).toBe(true);
    const done = await runtime.waitForOrder(paid.orderId, (o) => o.status === 'completed', user);
    const answer = await runtime.call('cancelOrder', { orderId: paid.orderId, status: 'refunded' }, user);
    expect(answer.ok).toBe(false);
    expect(answer.error.code).toBe('INVALID_STATE');
    const after = await runtime.call('getOrder', { orderId: paid.orderId }, user);
    expect(after.order.status).toBe('completed');
    expect(after.order.rev).toBe(done.rev);
  });

  test('the prices charged at the payment provider are the tiers’ prices, and no raw openid is stored', async () => {
    const user = `access-raw-openid-${process.pid}`;
    const created = await order(user, { tier: 'expert', subscribe: true, amountFen: 1 });
    expect((await runtime.pay(created.outTradeNo)).ok).toBe(true);
    await runtime.waitForOrder(created.orderId, (o) => o.status === 'completed', user);
    await runtime.stop();
    const store = await readStore(runtime.dataDir);
    const trade = store.trades.find((t) => t.outTradeNo === created.outTradeNo);
    expect(trade?.amountFen).toBe(499);
    for (const t of store.trades) {
      const o = store.orders.find((x) => x.outTradeNo === t.outTradeNo);
      expect(t.amountFen).toBe(o?.amountFen);
      expect([50, 499]).toContain(t.amountFen);
    }
    // The functions' own data holds the caller only as an HMAC (the sealed copy is erased once sent).
    const functionsDir = join(runtime.dataDir, 'functions');
    for (const file of readdirSync(functionsDir)) {
      expect({ file, leaks: readFileSync(join(functionsDir, file), 'utf8').includes(user) }).toEqual({ file, leaks: false });
    }
  });
});
