import { LocalRuntime } from './support/runtime';
import { orderEvents, storedOrder } from './support/store';
import type { Json } from './support/json';

/**
 * Functions run as SCF runs them (local/functions/host.ts): one invocation per instance, a new
 * instance for a concurrent call, an invocation that runs into its time limit answered with the
 * platform's timeout error and its instance frozen where it stands, to resume (and perhaps write)
 * during its next invocation. The `worker.timeouts` fault ends an invocation as its limit would.
 */
let runtime: LocalRuntime;
let users = 0;
const newUser = () => `instances-${process.pid}-${++users}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FunctionStats {
  timedOut: number;
  lateSettled: number;
  instances: Record<string, { instances: number; queued: number }>;
}
const functionStats = async () => (await runtime.get<{ functions: FunctionStats }>('/api/stats')).functions;

beforeAll(async () => {
  // A 6-s lease (the least allowed): a generation that froze is taken over sooner.
  runtime = await LocalRuntime.quick({ GENERATION_LEASE_SECONDS: '6', ORDER_TTL_SECONDS: '600', RATE_LIMIT_PER_MINUTE: '100' });
});
afterAll(async () => {
  await runtime.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

test('a call that runs into the time limit gets the platform’s timeout error, as wx.cloud.callFunction reports it', async () => {
  await runtime.faults({ worker: { timeouts: { listTiers: 1 } } });
  const { status, json } = await runtime.post('/api/functions/listTiers', { data: {} }, { 'X-WX-OPENID': newUser() });
  expect({ status, json }).toEqual({
    status: 500,
    json: { errCode: -504003, errMsg: 'cloud.callFunction:fail Error: errCode: -504003 | errMsg: Invoking task timed out after 3 seconds' },
  });
  // The next call is served as usual.
  await runtime.faults({ reset: true });
  expect((await runtime.call('listTiers', {}, newUser())).ok).toBe(true);
});

test('concurrent calls each get an instance of their own, and run side by side', async () => {
  const user = newUser();
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a tea' }, user);
  await runtime.post('/api/usage', {});
  // Two long-polls at once, each held for three seconds (a second instance starts for a call that waited).
  await Promise.all([0, 1].map(() => runtime.call('getOrder', { orderId: created.order.orderId, waitMs: 3000 }, user)));
  const polls = (await runtime.get<{ invocations: { functionName: string; startedAt: number; wallMs: number }[] }>('/api/usage')).invocations.filter((u) => u.functionName === 'getOrder');
  expect(polls).toHaveLength(2);
  const [a, b] = polls as [(typeof polls)[number], (typeof polls)[number]];
  // Each started before the other ended: they overlapped, on two instances.
  expect(a.startedAt).toBeLessThan(b.startedAt + b.wallMs);
  expect(b.startedAt).toBeLessThan(a.startedAt + a.wallMs);
  expect((await functionStats()).instances.getOrder?.instances).toBeGreaterThanOrEqual(2);
});

test('a client call left frozen by its time limit resumes during the next call and cannot change the order the user paid meanwhile', async () => {
  const user = newUser();
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Name a green tea' }, user);
  expect(created.ok).toBe(true);
  const { orderId, outTradeNo } = created.order as { orderId: string; outTradeNo: string };
  const before = await functionStats();

  // The cancel runs into its limit as soon as it starts: the user sees the timeout; its instance is frozen mid-way.
  await runtime.faults({ worker: { timeouts: { cancelOrder: 1 }, killAfterMs: [0, 0] } });
  const cancel = await runtime.post('/api/functions/cancelOrder', { data: { orderId } }, { 'X-WX-OPENID': user });
  expect(cancel.json).toMatchObject({ errCode: -504003 });
  await runtime.faults({ reset: true });

  // Frozen: nothing it left pending runs until the instance serves again.
  await sleep(500);
  expect((await functionStats()).lateSettled).toBe(before.lateSettled);

  // Meanwhile the user pays after all.
  expect((await runtime.pay(outTradeNo)).ok).toBe(true);
  await runtime.waitForOrder(orderId, (o: Json) => o.status === 'completed', user);

  // The next cancelOrder thaws that instance: the left-over cancel resumes, and changes nothing.
  const again = await runtime.call('cancelOrder', { orderId }, user);
  expect(again).toMatchObject({ ok: false, error: { code: 'INVALID_STATE' } });
  expect((await waitFor(functionStats, (s) => s.lateSettled > before.lateSettled)).lateSettled).toBe(before.lateSettled + 1);
  await sleep(200);
  expect((await storedOrder(runtime.dataDir, orderId))?.status).toBe('completed');
  const types = (await orderEvents(runtime.dataDir, orderId)).map((e) => e.type);
  expect(types).not.toContain('cancelled_by_user');
  expect(types.filter((t) => t === 'payment_confirmed')).toHaveLength(1);
});

test('a generation frozen by its time limit that resumes after its lease was taken over cannot overwrite the newer attempt', async () => {
  const user = newUser();
  // Answers take a couple of seconds, so the first attempt is frozen mid-stream.
  await runtime.faults({ llm: { firstTokenMs: 50, tokensPerSecond: 30, answerTokens: 60 }, worker: { timeouts: { generate: 1 }, killAfterMs: [400, 400], maxKillsPerOrder: 1 } });
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Explain oolong' }, user);
  const { orderId, outTradeNo } = created.order as { orderId: string; outTradeNo: string };
  const before = await functionStats();
  expect((await runtime.pay(outTradeNo)).ok).toBe(true);
  const first = await waitFor(
    () => storedOrder(runtime.dataDir, orderId),
    (o) => o?.status === 'generating',
  );
  expect((await waitFor(functionStats, (s) => s.timedOut > before.timedOut)).timedOut).toBe(before.timedOut + 1);

  // The lease runs out; reconcile hands the order to a new attempt, which thaws the frozen instance.
  await sleep(Math.max(0, (first?.leaseExpiresAt as number) - Date.now()) + 100);
  await runtime.trigger('reconcile');
  const done = await runtime.waitForOrder(orderId, (o: Json) => o.status === 'completed', user);
  expect((await waitFor(functionStats, (s) => s.lateSettled > before.lateSettled)).lateSettled).toBe(before.lateSettled + 1);

  const stored = await storedOrder(runtime.dataDir, orderId);
  expect(stored?.leaseId).not.toBe(first?.leaseId);
  expect(stored?.attempts).toBe(2);
  const events = await orderEvents(runtime.dataDir, orderId);
  expect(events.map((e) => e.type).filter((t) => t.startsWith('generation_'))).toEqual(['generation_started', 'generation_redispatched', 'generation_resumed', 'generation_completed']);
  // One whole answer, written by the attempt that holds the lease: nothing of the first glued to it.
  await sleep(500);
  expect((await storedOrder(runtime.dataDir, orderId))?.output).toBe(done.output);
  expect(done.outputComplete).toBe(true);
});
