import { LocalRuntime } from './support/runtime';
import { orderEvents, readCollection, storedOrder } from './support/store';
import { waitForInspection } from './support/wechatpayV3';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('when every model fails', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await LocalRuntime.quick();
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

  test('a refund whose result never reaches refundCallback is confirmed by reconcile, from queryRefund alone', async () => {
    // The refund request is lost first, so that the one WeChat Pay takes is reconcile's, made with
    // every notification dropped: no callback can ever say it succeeded.
    await runtime.faults({ llm: { error: 1, errorStatus: 503 }, pay: { refundLost: 1 } });
    const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Lost refund result' }, 'no-callback');
    const { orderId, outTradeNo, amountFen } = created.order;
    await runtime.pay(outTradeNo);
    // Lost, and given up on for now: the call's own retries (core/payments/retryPolicy.ts) are over.
    await waitForInspection(runtime.url, outTradeNo, (v) => v.order.status === 'refunding' && typeof v.order.refund?.lastError === 'string' && v.refunds.length === 0);
    await runtime.faults({ pay: { refundLost: 0, drop: 1 } });
    expect((await runtime.trigger('reconcile')).refundsRequested).toBe(1);
    await waitForInspection(runtime.url, outTradeNo, (v) => v.refunds.some((r) => r.state === 'SUCCESS' && r.notificationDropped === true));
    await runtime.trigger('reconcile');
    const refunded = await runtime.waitForOrder(orderId, (o) => o.status === 'refunded', 'no-callback');
    expect(refunded.refundedAt).toEqual(expect.any(Number));
    const confirmed = (await orderEvents(runtime.dataDir, orderId)).filter((e) => e.type === 'refund_confirmed');
    expect(confirmed).toEqual([expect.objectContaining({ detail: { source: 'query_refund' } })]);
    const refunds = (await readCollection(runtime.dataDir, 'platform', 'paysim_refunds')).filter((r) => r.outTradeNo === outTradeNo);
    expect(refunds).toEqual([expect.objectContaining({ refundFen: amountFen, state: 'SUCCESS', requests: 1 })]);
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
    const runtime = await LocalRuntime.quick();
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
