import type { InvocationUsage } from '../local/functions/usage';
import { attributeToOrders } from '../local/profile/attribution';
import { LocalRuntime } from './support/runtime';

/**
 * The runtime's per-invocation counters (local/functions/usage.ts, fed by the CloudBase dispatcher)
 * count what the functions really ask of CloudBase: a known flow yields a known number of database
 * operations, calls and invocations, and the invocations are tied to their order. Each expected
 * number is derived below from the code path it counts (docs/COSTS.md lists them all). Nothing is
 * timed; where timing decides a count (the dispatcher's looks), the bound it cannot leave is checked.
 */

let runtime: LocalRuntime;
let users = 0;
const newUser = () => `counter-user-${process.pid}-${++users}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '100' });
  // One text chunk, at once: generate writes its output in exactly one batch before completing.
  await runtime.faults({ llm: { error: 0, timeout: 0, firstTokenMs: 0, tokensPerSecond: 1000, answerTokens: 1 } });
});
afterAll(async () => {
  await runtime.stop();
});

async function usage(): Promise<InvocationUsage[]> {
  return (await runtime.get<{ invocations: InvocationUsage[] }>('/api/usage')).invocations;
}

async function usageOf(name: string, count: number): Promise<InvocationUsage[]> {
  // An invocation is recorded when it ends; a triggered one (generate) may end after the page saw the order.
  for (let tries = 0; tries < 200; tries += 1) {
    const found = (await usage()).filter((r) => r.functionName === name);
    if (found.length >= count) return found;
    await sleep(50);
  }
  throw new Error(`${name} did not finish ${count} time(s)`);
}

const ops = (r: InvocationUsage) => ({ dbReads: r.dbReads, dbWrites: r.dbWrites, functionCalls: r.functionCalls, payCalls: r.payCalls, openapiCalls: r.openapiCalls });

describe('what one order asks of CloudBase', () => {
  test('a completed order: createOrder, one getOrder per look, payCallback and generate, each with its known operations', async () => {
    await runtime.post('/api/usage', {});
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Write a haiku about tea' }, user);
    expect(created.ok).toBe(true);
    const { orderId, outTradeNo } = created.order as { orderId: string; outTradeNo: string };

    const [create] = await usageOf('createOrder', 1);
    // 2 reads: the rate limit's counts of the user's recent orders and content checks. 6 writes:
    // the active-payment lock, the content check's record (the per-user limit counts it), the order,
    // its "created" audit event, the conversation it starts, the prepay parameters. 1 cloud-pay
    // call: unifiedOrder. 1 cloud call: msgSecCheck on the prompt, before anything is stored.
    expect(ops(create as InvocationUsage)).toEqual({ dbReads: 2, dbWrites: 6, functionCalls: 0, payCalls: 1, openapiCalls: 1 });

    expect((await runtime.pay(outTradeNo)).ok).toBe(true);
    let looks = 0;
    for (;;) {
      looks += 1;
      const seen = await runtime.call('getOrder', { orderId }, user);
      expect(seen.ok).toBe(true);
      if (seen.order.status === 'completed') break;
      expect(looks).toBeLessThan(600);
      await sleep(50);
    }

    const getOrders = await usageOf('getOrder', looks);
    // Without waitMs, getOrder reads the order once and writes nothing.
    for (const call of getOrders) expect(ops(call)).toEqual({ dbReads: 1, dbWrites: 0, functionCalls: 0, payCalls: 0, openapiCalls: 0 });

    const [callback] = await usageOf('payCallback', 1);
    // payCallback: 1 read (the order by outTradeNo), 1 cloud-pay call (queryOrder: the callback is
    // not signed), 3 writes (paid transition, its audit event, the lock released), 1 callFunction
    // (generate). The dispatcher then looks whether generate claimed the order: at 50, 150, 350
    // and 750 ms, until it has: 0 to 4 reads, as timing decides.
    const paid = callback as InvocationUsage;
    expect({ ...ops(paid), dbReads: 0 }).toEqual({ dbReads: 0, dbWrites: 3, functionCalls: 1, payCalls: 1, openapiCalls: 0 });
    expect(paid.dbReads).toBeGreaterThanOrEqual(1);
    expect(paid.dbReads).toBeLessThanOrEqual(1 + 4);

    const [generated] = await usageOf('generate', 1);
    // generate: 4 reads (the claim's read-back of the order, the provider breaker before the call,
    // the breaker again to record the success, the completion's read-back; a first question reads
    // no earlier turns); 5 writes (claim, its
    // audit event, the one output batch, completion, its audit event). No subscribe message asked.
    // 1 cloud call: msgSecCheck on the answer, which (one token here) fits in its first checked piece.
    expect(ops(generated as InvocationUsage)).toEqual({ dbReads: 4, dbWrites: 5, functionCalls: 0, payCalls: 0, openapiCalls: 1 });

    // Every one of them is this order's: by the event's orderId, the answer's order, or the
    // callback's outTradeNo through createOrder's answer.
    const { orders, unattributed } = attributeToOrders(await usage());
    expect(unattributed).toEqual([]);
    const totals = orders.get(orderId);
    expect(totals?.invocations).toBe(3 + looks);
    expect(totals?.byFunction).toEqual({
      createOrder: { invocations: 1, dbReads: 2, dbWrites: 6 },
      getOrder: { invocations: looks, dbReads: looks, dbWrites: 0 },
      payCallback: { invocations: 1, dbReads: paid.dbReads, dbWrites: 3 },
      generate: { invocations: 1, dbReads: 4, dbWrites: 5 },
    });
    expect(totals?.dbWrites).toBe(6 + 3 + 5);
    // Compute is billed on the configured memory (256 MB in the catalog) × wall time.
    for (const record of await usage()) {
      expect(record.memoryMb).toBe(256);
      expect(record.computeGBs).toBeCloseTo((256 / 1024) * (record.wallMs / 1000), 9);
    }
  });

  test('a cancelled order: createOrder and cancelOrder, each with its known operations', async () => {
    await runtime.post('/api/usage', {});
    const user = newUser();
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Write a haiku about rain' }, user);
    const cancelled = await runtime.call('cancelOrder', { orderId: created.order.orderId }, user);
    expect(cancelled.order.status).toBe('closed');
    const [cancel] = await usageOf('cancelOrder', 1);
    // cancelOrder: 2 reads (the caller's own order; the close's read-back), 2 cloud-pay calls
    // (queryOrder: the money may have arrived after all; closeOrder), 4 writes (the closed
    // transition, its audit event, the lock released, "closed at the provider" recorded).
    expect(ops(cancel as InvocationUsage)).toEqual({ dbReads: 2, dbWrites: 4, functionCalls: 0, payCalls: 2, openapiCalls: 0 });
    const { orders } = attributeToOrders(await usage());
    expect(orders.get(created.order.orderId as string)).toMatchObject({ invocations: 2, dbReads: 4, dbWrites: 10, payCalls: 3 });
  });

  test('a function that fails its input still counts as an invocation, with no database operation', async () => {
    await runtime.post('/api/usage', {});
    const answer = await runtime.call('getOrder', {}, newUser());
    expect(answer.ok).toBe(false);
    const [call] = await usageOf('getOrder', 1);
    expect(ops(call as InvocationUsage)).toEqual({ dbReads: 0, dbWrites: 0, functionCalls: 0, payCalls: 0, openapiCalls: 0 });
    expect(attributeToOrders([call as InvocationUsage]).unattributed).toHaveLength(1);
  });
});
