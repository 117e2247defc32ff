import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStore } from '../bench/store';
import { TRIGGERED } from '../core/functions/catalog';
import { LocalRuntime } from './support/runtime';
import type { Json } from './support/json';

// Who may see and do what: a user reaches only their own orders and notifications, and nothing a
// client sends sets a price, an identity or a status.
let runtime: LocalRuntime;
let counter = 0;
const newUser = () => `access-user-${process.pid}-${++counter}`;

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '1000' });
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
    expect(await runtime.messageRecipients(aliceOrder.orderId)).toEqual([alice]);
    expect(await runtime.messageRecipients(bobOrder.orderId)).toEqual([bob]);
    // Given two seconds more, no message comes for Carol's order.
    expect(await runtime.messageRecipients(carolOrder.orderId, 2_000)).toEqual([]);
    const { messages } = await runtime.get<{ messages: { touser: string; page: string }[] }>('/api/messages');
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

  test('a caller whose identity is all digits is still that caller (the SDK hands it over as a number)', async () => {
    for (const digits of ['0', `${process.pid}${++counter}`]) {
      const created = await order(digits);
      const own = await runtime.call('listOrders', {}, digits);
      expect(own.orders.map((o: { orderId: string }) => o.orderId)).toEqual([created.orderId]);
      expect((await runtime.call('getOrder', { orderId: created.orderId }, newUser())).error.code).toBe('NOT_FOUND');
    }
  });
});

describe('internal functions and who may call them', () => {
  const CLIENT_SOURCES = ['wx_client', 'wx_devtools', 'wx_localdebug'];

  async function callAs(name: string, data: unknown, headers: Record<string, string>) {
    const { status, json } = await runtime.post<{ result?: Json; errMsg?: string }>(`/api/functions/${name}`, { data }, headers);
    return { status, result: json.result };
  }

  async function snapshot(outTradeNo: string) {
    const inspected = await runtime.get<Record<string, unknown>>(`/api/inspect/orders/${outTradeNo}`);
    const { messages } = await runtime.get<{ messages: unknown[] }>('/api/messages');
    return { inspected, messages };
  }

  test('a mini program calling any internal function gets FORBIDDEN, and nothing changes', async () => {
    const user = newUser();
    // Paid at WeChat, but the notification was lost: a genuine callback (or reconcile) would move it.
    await runtime.faults({ pay: { drop: 1 } });
    const lost = await order(user, { subscribe: true });
    expect((await runtime.pay(lost.outTradeNo)).ok).toBe(true);
    await runtime.faults({ pay: { drop: 0 } });
    const callback = { returnCode: 'SUCCESS', resultCode: 'SUCCESS', outTradeNo: lost.outTradeNo, totalFee: lost.amountFen, cashFee: lost.amountFen };
    const events: Record<string, unknown> = {
      payCallback: callback,
      refundCallback: { returnCode: 'SUCCESS', outTradeNo: lost.outTradeNo },
      generate: { orderId: lost.orderId },
      reconcile: {},
      payNotify: { httpMethod: 'POST', path: '/api/notify/wechatpay', headers: {}, body: '', isBase64Encoded: true },
    };
    const before = await snapshot(lost.outTradeNo);
    for (const name of TRIGGERED) {
      for (const source of CLIENT_SOURCES) {
        const answer = await callAs(name, events[name], { 'X-WX-OPENID': user, 'X-WX-SOURCE': source });
        expect({ name, source, ...answer }).toEqual({ name, source, status: 200, result: { ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } } });
      }
      // Without X-WX-SOURCE the caller is a mini program too.
      expect((await callAs(name, events[name], { 'X-WX-OPENID': user })).result?.error?.code).toBe('FORBIDDEN');
    }
    expect(await snapshot(lost.outTradeNo)).toEqual(before);
    // The same callback from the platform is taken: the refusal was about the caller, not the event.
    expect(await runtime.trigger('payCallback', callback)).toEqual({ errcode: 0, errmsg: '' });
    await runtime.waitForOrder(lost.orderId, (o) => o.status === 'completed', user);
  });

  test('each internal function admits only the callers it expects; HTTP access reaches payNotify only', async () => {
    const http = { 'X-WX-SOURCE': 'wx_http' };
    expect((await callAs('reconcile', {}, http)).result?.error?.code).toBe('FORBIDDEN');
    expect((await callAs('generate', { orderId: 'o-none' }, http)).result?.error?.code).toBe('FORBIDDEN');
    // payNotify takes the request and judges the notification itself (this one is not signed).
    const notify = await callAs('payNotify', { httpMethod: 'POST', path: '/api/notify/wechatpay', headers: {}, body: '', isBase64Encoded: true }, http);
    expect(notify.status).toBe(200);
    expect(notify.result?.statusCode).toBeGreaterThanOrEqual(400);
    // The timer reaches reconcile; a function reaches generate.
    expect((await callAs('reconcile', {}, { 'X-WX-SOURCE': 'wx_trigger' })).result?.error?.code).toBeUndefined();
    for (const source of ['wx_client,scf', 'wx_paycallback,scf', 'wx_trigger,scf']) {
      const started = await callAs('generate', { orderId: 'o-none' }, { 'X-WX-SOURCE': source });
      expect({ source, started: started.result }).toEqual({ source, started: { started: false, reason: 'not_claimable' } });
    }
    // Anything else is refused, whatever it claims: unknown sources, a chain that ends elsewhere, the wrong platform door.
    const refused: [string, string][] = [
      ['reconcile', 'garbage'],
      ['reconcile', 'scf'],
      ['reconcile', 'wx_client,wx_trigger,scf'],
      ['reconcile', 'wx_paycallback'],
      ['payCallback', 'scf'],
      ['payCallback', 'wx_trigger'],
      ['payCallback', 'garbage'],
      ['refundCallback', 'wx_http'],
      ['generate', 'wx_trigger'],
      ['generate', 'wx_paycallback'],
      ['payNotify', 'wx_paycallback'],
    ];
    for (const [name, source] of refused) {
      const answer = await callAs(name, {}, { 'X-WX-SOURCE': source });
      expect({ name, source, code: answer.result?.error?.code }).toEqual({ name, source, code: 'FORBIDDEN' });
    }
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
