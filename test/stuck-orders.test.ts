import { LocalRuntime } from './support/runtime';
import { orderEvents, readCollection, storedOrder } from './support/store';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('orders that get stuck are still settled', () => {
  test('an answer that arrives empty is not sold: the next model answers', async () => {
    const runtime = await LocalRuntime.start();
    try {
      await runtime.faults({ llm: { byModel: { 'qwen-turbo': { answerTokens: 0 } } } });
      const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Say something' }, 'empty-answer');
      await runtime.pay(created.order.outTradeNo);
      const done = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'completed' || o.status === 'refunded', 'empty-answer');
      expect(done.status).toBe('completed');
      expect(done.output.length).toBeGreaterThan(0);
      expect((await storedOrder(runtime.dataDir, created.order.orderId))?.usage.model).toBe('deepseek-chat');
    } finally {
      await runtime.stop();
    }
  });

  test('a paid order that generate never manages to start is refunded after the give-up time', async () => {
    const runtime = await LocalRuntime.start({ RECONCILE_GIVE_UP_SECONDS: '1' });
    try {
      // Every generate invocation dies at once, before it can claim the order.
      await runtime.faults({ worker: { killGenerate: 1, killAfterMs: [0, 0], maxKillsPerOrder: 1000 } });
      const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'Nobody will answer' }, 'never-started');
      await runtime.pay(created.order.outTradeNo);
      await sleep(1_500);
      expect((await storedOrder(runtime.dataDir, created.order.orderId))?.status).toBe('paid');
      // Past the give-up time, reconcile stops re-dispatching and refunds.
      await runtime.trigger('reconcile');
      const refunded = await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'refunded', 'never-started', 15_000);
      expect(refunded.status).toBe('refunded');
      const types = (await orderEvents(runtime.dataDir, created.order.orderId)).map((e) => e.type);
      expect(types).toContain('generation_never_started');
      const refunds = (await readCollection(runtime.dataDir, 'platform', 'paysim_refunds')).filter((r) => r.outTradeNo === created.order.outTradeNo);
      expect(refunds).toHaveLength(1);
    } finally {
      await runtime.stop();
    }
  });

  test('orders that cannot settle do not keep reconcile from newer ones', async () => {
    // Batches of 2, and refunds the provider keeps rejecting: three refunding orders that never settle.
    const runtime = await LocalRuntime.start({ RECONCILE_BATCH_SIZE: '2' });
    try {
      await runtime.faults({ llm: { error: 1 }, pay: { refundReject: 1 } });
      const orderIds: string[] = [];
      for (const user of ['stuck-1', 'stuck-2', 'stuck-3']) {
        const created = await runtime.call('createOrder', { tier: 'quick', prompt: `Fail for ${user}` }, user);
        await runtime.pay(created.order.outTradeNo);
        await runtime.waitForOrder(created.order.orderId, (o) => o.status === 'refunding', user);
        orderIds.push(created.order.orderId);
      }
      await runtime.trigger('reconcile');
      await runtime.trigger('reconcile');
      // Within two runs of two, every one of the three was asked about again.
      for (const orderId of orderIds) {
        expect((await orderEvents(runtime.dataDir, orderId)).filter((e) => e.type === 'refund_requested_again').length).toBeGreaterThanOrEqual(1);
      }
      // Once the provider takes refunds again, they all end refunded.
      await runtime.faults({ pay: { refundReject: 0 } });
      await runtime.trigger('reconcile');
      await runtime.trigger('reconcile');
      for (const [i, orderId] of orderIds.entries()) {
        const done = await runtime.waitForOrder(orderId, (o) => o.status === 'refunded', `stuck-${i + 1}`, 10_000);
        expect(done.status).toBe('refunded');
      }
    } finally {
      await runtime.stop();
    }
  });
});
