import { LocalRuntime } from './support/runtime';
import { storedOrder } from './support/store';
import { waitForInspection } from './support/wechatpayV3';

/**
 * A subscribed order keeps the user's openid sealed only while a message may still be sent. It is
 * erased, in the store itself, on every way an order can close (the user cancels, it expires, a
 * late payment on it is refunded) and once a refund completes.
 */
const TTL_MS = 2_000;
let runtime: LocalRuntime;
let userCounter = 0;
const newUser = () => `sealed-user-${process.pid}-${++userCounter}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  runtime = await LocalRuntime.quick({ ORDER_TTL_SECONDS: String(TTL_MS / 1000), RATE_LIMIT_PER_MINUTE: '100' });
});
afterAll(async () => {
  await runtime.stop();
});
afterEach(async () => {
  await runtime.faults({ reset: true });
});

async function subscribedOrder(user = newUser()) {
  const created = await runtime.call('createOrder', { tier: 'quick', prompt: 'What is pu-erh?', subscribe: true }, user);
  expect(created.ok).toBe(true);
  const order = created.order as { orderId: string; outTradeNo: string };
  // Sealed while the order may still finish and be told about.
  expect((await storedOrder(runtime.dataDir, order.orderId))?.subscription).toMatchObject({ accepted: true, openidSealed: expect.any(String) });
  return { user, order };
}

async function expectErased(orderId: string, status: string) {
  const stored = await storedOrder(runtime.dataDir, orderId);
  expect(stored?.status).toBe(status);
  expect(stored?.subscription?.accepted).toBe(true);
  expect(stored?.subscription).not.toHaveProperty('openidSealed');
}

test('an order the user cancels no longer holds the sealed openid', async () => {
  const { user, order } = await subscribedOrder();
  expect((await runtime.call('cancelOrder', { orderId: order.orderId }, user)).order.status).toBe('closed');
  await expectErased(order.orderId, 'closed');
});

test('an order that expires unpaid and is closed by reconcile no longer holds the sealed openid', async () => {
  const { order } = await subscribedOrder();
  await sleep(TTL_MS + 200);
  expect((await runtime.trigger('reconcile')).closedExpired).toBeGreaterThanOrEqual(1);
  await expectErased(order.orderId, 'closed');
});

test('a late payment on a cancelled order is refunded, and the order holds no sealed openid', async () => {
  // The provider will not close yet (cloud pay's first 5 minutes), so the sheet stays payable.
  await runtime.faults({ pay: { closeRefused: 1 } });
  const { user, order } = await subscribedOrder();
  expect((await runtime.call('cancelOrder', { orderId: order.orderId }, user)).order.status).toBe('closed');
  expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
  await waitForInspection(runtime.url, order.outTradeNo, (view) => view.order.refund?.status === 'succeeded');
  await expectErased(order.orderId, 'closed');
});

test('a failed answer, once refunded, no longer holds the sealed openid', async () => {
  await runtime.faults({ llm: { error: 1 } });
  const { user, order } = await subscribedOrder();
  expect((await runtime.pay(order.outTradeNo)).ok).toBe(true);
  await runtime.waitForOrder(order.orderId, (o) => o.status === 'refunded', user);
  // The message's bookkeeping lands just after the status change.
  await waitForInspection(runtime.url, order.outTradeNo, (view) => view.order.subscription?.sentAt !== undefined && view.order.subscription?.openidSealed === undefined);
  await expectErased(order.orderId, 'refunded');
});
