import { LocalRuntime } from './support/runtime';
import { orderEvents, readCollection, storedOrder } from './support/store';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('when every model fails', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await LocalRuntime.start();
  });
  afterAll(async () => {
    await runtime.stop();
  });

  test('the order ends refunded, exactly once, with the money back at the provider', async () => {
    await runtime.faults({ llm: { error: 1, errorStatus: 503 } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'This will fail' }, 'unlucky');
    const { orderId, outTradeNo, amountFen } = created.order;
    await runtime.pay(outTradeNo);
    const refunded = await runtime.waitForOrder(orderId, (o) => o.status === 'refunded', 'unlucky');
    expect(refunded.refundedAt).toBeGreaterThanOrEqual(refunded.paidAt);
    expect(refunded.output).toBe('');
    expect(refunded.error.code).toBe('GENERATION_FAILED');
    // Reconcile and the refund callback may both look at it again: still one refund.
    await runtime.trigger('reconcile');
    await runtime.trigger('refundCallback', { outTradeNo });
    await sleep(200);
    const refunds = (await readCollection(runtime.dataDir, 'platform', 'paysim_refunds')).filter((r) => r.outTradeNo === outTradeNo);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]?.refundFen).toBe(amountFen);
    expect(refunds[0]?.state).toBe('SUCCESS');
    const events = (await orderEvents(runtime.dataDir, orderId)).map((e) => e.type);
    expect(events.filter((t) => t === 'generation_failed')).toHaveLength(1);
    expect(events.filter((t) => t === 'refund_confirmed')).toHaveLength(1);
    // Both models of the chain were tried before giving up.
    const stats = await runtime.get<{ model: { byModel: Record<string, number> } }>('/api/stats');
    expect(stats.model.byModel['qwen-turbo']).toBe(1);
    expect(stats.model.byModel['deepseek-chat']).toBe(1);
    await runtime.faults({ reset: true });
  });

  test('a failing first model falls through to the next one and the user gets one answer', async () => {
    await runtime.faults({ llm: { byModel: { 'qwen-turbo': { midStreamError: 1 } } } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Fall through please' }, 'lucky');
    await runtime.pay(created.order.outTradeNo);
    const done = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', 'lucky');
    // The restarted answer is one answer: its opening appears once.
    expect(done.output.match(/About "Fall through please"/g)).toHaveLength(1);
    expect((await storedOrder(runtime.dataDir, created.order.orderId))?.usage.model).toBe('deepseek-chat');
    await runtime.faults({ reset: true });
  });
});

describe('the store is durable', () => {
  test('orders survive a restart of the runtime, and a kill -9', async () => {
    const runtime = await LocalRuntime.start();
    try {
      const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Remember me' }, 'durable');
      await runtime.pay(created.order.outTradeNo);
      const done = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', 'durable');
      await runtime.restart();
      const after = await runtime.call('getOrder', { orderId: created.order.orderId }, 'durable');
      expect(after.order).toEqual(done);
      const pending = await runtime.call('createOrder', { tier: 'quick', prompt: 'Pending one' }, 'durable');
      await runtime.kill();
      await runtime.restart();
      const again = await runtime.call('getOrder', { orderId: pending.order.orderId }, 'durable');
      expect(again.order.status).toBe('pending_payment');
      // The active-payment lock survived too.
      const blocked = await runtime.call('createOrder', { tier: 'quick', prompt: 'Another' }, 'durable');
      expect(blocked.error.code).toBe('ACTIVE_PAYMENT_EXISTS');
    } finally {
      await runtime.stop();
    }
  });
});

describe('long-polling getOrder', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    // Text reaches the page in content-checked pieces (docs/COMPLIANCE.md); small pieces here, so
    // that an answer grows in many steps as the settle test below needs.
    runtime = await LocalRuntime.start({ CONTENT_CHECK_FIRST_SEGMENT_CHARS: '20', CONTENT_CHECK_SEGMENT_CHARS: '20' });
  });
  afterAll(async () => {
    await runtime.stop();
  });

  test('returns as soon as the order changes', async () => {
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Wake me' }, 'poller');
    const { orderId, rev } = created.order;
    const poll = runtime.call('getOrder', { orderId, waitMs: 3000, knownRev: rev }, 'poller');
    await sleep(100);
    await runtime.pay(created.order.outTradeNo);
    const answer = await poll;
    expect(answer.order.rev).toBeGreaterThan(rev);
    expect(['paid', 'generating', 'completed']).toContain(answer.order.status);
  });

  test('an order that does not change is answered after the wait, never held past 3 s', async () => {
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Nothing happens' }, 'idle');
    const startedAt = Date.now();
    const answer = await runtime.call('getOrder', { orderId: created.order.orderId, waitMs: 60_000 }, 'idle');
    const held = Date.now() - startedAt;
    expect(answer.order.status).toBe('pending_payment');
    // The server caps the hold at 3 s whatever waitMs says (generous slack for a loaded machine).
    expect(held).toBeGreaterThanOrEqual(2_900);
    expect(held).toBeLessThan(5_000);
  });

  test('a finished order is answered at once', async () => {
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Quick one' }, 'finisher');
    await runtime.pay(created.order.outTradeNo);
    const done = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed', 'finisher');
    const startedAt = Date.now();
    const answer = await runtime.call('getOrder', { orderId: done.orderId, waitMs: 3000, knownRev: done.rev }, 'finisher');
    expect(answer.order.status).toBe('completed');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  test('with settleMs, text that keeps growing is gathered into fewer answers; status changes still come at once', async () => {
    await runtime.faults({ llm: { firstTokenMs: 100, tokensPerSecond: 12, answerTokens: 48 } });
    async function follow(settleMs: number | undefined, user: string) {
      const created = await runtime.call('createOrder', { tier: 'quick', prompt: `Stream for ${user}` }, user);
      await runtime.pay(created.order.outTradeNo);
      let known = created.order;
      const answers: Record<string, any>[] = [];
      while (known.status !== 'completed') {
        const answer = await runtime.call('getOrder', { orderId: known.orderId, waitMs: 3000, knownRev: known.rev, ...(settleMs ? { settleMs, knownStatus: known.status, knownChars: known.output.length } : {}) }, user);
        answers.push(answer.order);
        known = answer.order;
      }
      return answers;
    }
    const eager = await follow(undefined, 'eager-reader');
    const settled = await follow(3000, 'patient-read');
    await runtime.faults({ reset: true });
    const growth = (answers: Record<string, any>[]) => answers.filter((o, i) => i > 0 && o.status === 'generating' && answers[i - 1]?.status === 'generating').length;
    expect(growth(settled)).toBeLessThan(growth(eager));
    // Every status the order went through was still seen on its own.
    expect(settled.map((o) => o.status)).toContain('generating');
    expect(settled[settled.length - 1]?.outputComplete).toBe(true);
    expect(settled[settled.length - 1]?.output.length).toBe(eager[eager.length - 1]?.output.length);
  });
});

