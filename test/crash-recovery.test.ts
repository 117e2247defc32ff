import { checkInvariants, invariantCounts, NO_VIOLATIONS } from '../bench/invariants';
import { readStore } from '../bench/store';
import { LocalRuntime } from './support/runtime';

// The runtime process is killed with SIGKILL in the middle of load (orders being created, paid,
// notified and generated), started again on the same data, and must lose no payment.
jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let runtime: LocalRuntime;
afterAll(async () => {
  await runtime?.stop();
});

test('after kill -9 mid-load and a restart, every confirmed payment is stored and ends completed or refunded', async () => {
  // A 6-s generation lease (15 by default): generations cut off by the kill are resumed sooner.
  runtime = await LocalRuntime.start({ ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '1000', GENERATION_LEASE_SECONDS: '6' });
  await runtime.faults({
    pay: { duplicate: 0.3, delayMs: [0, 600] },
    // Answers take about a second and a half, so the kill finds generations mid-stream.
    llm: { firstTokenMs: 150, tokensPerSecond: 30, answerTokens: 40 },
  });

  const owners = new Map<string, { orderId: string; user: string }>();
  const confirmedBySimulator = new Set<string>();
  let killed = false;
  const customer = async (n: number) => {
    for (let round = 0; !killed && round < 50; round += 1) {
      const user = `crash-user-${n}-${round}`;
      try {
        const created = await runtime.call('createOrder', { tier: 'quick', prompt: `question ${n}.${round}` }, user);
        if (!created.ok) continue;
        owners.set(created.order.outTradeNo, { orderId: created.order.orderId, user });
        const paid = await runtime.pay(created.order.outTradeNo);
        if (paid.ok) confirmedBySimulator.add(created.order.outTradeNo);
        await runtime.call('getOrder', { orderId: created.order.orderId, waitMs: 1500 }, user);
      } catch {
        // The runtime was killed under this request: the user's app would retry later.
        return;
      }
    }
  };
  const load = Promise.all(Array.from({ length: 10 }, (_, n) => customer(n)));
  // The kill comes once a few payments are confirmed, not after a fixed time (on a busy machine the
  // first orders can take longer than that): the payment confirmed last is then still before its
  // notification or mid-generation (an answer takes about a second and a half).
  const killBy = Date.now() + 60_000;
  while (confirmedBySimulator.size < 5 && Date.now() < killBy) await sleep(20);
  killed = true;
  await runtime.kill();
  await load;

  // What the crash left behind: paid orders still in flight (the kill really was mid-load).
  const atCrash = await readStore(runtime.dataDir);
  const paidTrades = atCrash.trades.filter((t) => t.state === 'SUCCESS');
  expect(paidTrades.length).toBeGreaterThanOrEqual(confirmedBySimulator.size);
  const inFlight = paidTrades.filter((t) => {
    const order = atCrash.orders.find((o) => o.outTradeNo === t.outTradeNo);
    return order?.status !== 'completed';
  });
  expect(inFlight.length).toBeGreaterThan(0);

  // Started again on the same data, with reconcile on its timer (every second here).
  await runtime.restart({ TIMER_INTERVAL_SECONDS: '1' });
  // Let the system settle the way it would in production: pages polling, reconcile on its timer.
  const deadline = Date.now() + 75_000;
  for (;;) {
    const states = await Promise.all(
      paidTrades.map(async (trade) => {
        const owner = owners.get(trade.outTradeNo);
        if (!owner) return 'unknown';
        const answer = await runtime.call('getOrder', { orderId: owner.orderId }, owner.user);
        return answer.ok ? (answer.order.status as string) : 'missing';
      }),
    );
    if (states.every((s) => s === 'completed' || s === 'refunded') || Date.now() > deadline) break;
    await sleep(1_000);
  }
  await runtime.stop();

  const after = await readStore(runtime.dataDir);
  // Every payment the simulator confirmed is in the ledger and in the functions' store…
  for (const outTradeNo of confirmedBySimulator) {
    expect(after.trades.find((t) => t.outTradeNo === outTradeNo)?.state).toMatch(/^(SUCCESS|REFUND)$/);
  }
  // …and every paid trade in the ledger has an order that ended completed or refunded.
  const paidAfter = after.trades.filter((t) => t.state === 'SUCCESS' || t.state === 'REFUND');
  expect(paidAfter.length).toBe(paidTrades.length);
  for (const trade of paidAfter) {
    const order = after.orders.find((o) => o.outTradeNo === trade.outTradeNo);
    expect({ outTradeNo: trade.outTradeNo, status: order?.status }).toEqual({ outTradeNo: trade.outTradeNo, status: expect.stringMatching(/^(completed|refunded)$/) });
  }
  expect(invariantCounts(checkInvariants(after))).toEqual(NO_VIOLATIONS);
});
